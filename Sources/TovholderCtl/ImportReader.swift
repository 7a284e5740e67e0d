import Foundation
import TovholderCore
import TovholderProtocol

/// One citizen read from an import file, with the line it starts on.
struct ImportRecord {
    var line: Int
    var citizen: CitizenAddParams?
    /// Why the citizen's rows cannot be imported, and the line that says so.
    var problem: String?
    var problemLine: Int?
}

/// Reads citizens and their events from CSV (one row per event, citizen columns repeated, rows of one
/// citizen together) or JSON lines (one `citizen.add` object with `events` per line).
final class ImportReader {
    enum Format: String, CaseIterable {
        case csv, jsonl
    }

    static let columns = ["citizen", "caseworker", "takeover", "visitation", "track", "household", "event", "date", "offer"]

    /// A column, by its place in `columns`.
    enum Column: Int {
        case citizen, caseworker, takeover, visitation, track, household, event, date, offer
        var name: String { ImportReader.columns[rawValue] }
        /// The citizen's own columns, the same on each of their rows.
        static let details: [Column] = [.caseworker, .takeover, .visitation, .track, .household]
    }

    let path: String
    let format: Format
    private var csv: CSVRows?
    private var lines: LineReader?
    private var index: [String: Int] = [:]
    /// Where each of `columns` is in a row (a column looked up by name for every field of a million rows
    /// was a tenth of the import's reading).
    private var positions: [Int?] = []
    private var pending: CSVRow?
    /// Bytes read so far, for progress.
    var bytesRead: Int { csv?.offset ?? lines?.offset ?? 0 }
    private let decoder = JSONDecoder()

    /// The field separators a CSV file may use: a spreadsheet set to Danish writes `;` (its decimal
    /// separator is the comma), other exports `,` or a tab.
    static let separators: [Unicode.Scalar] = [",", ";", "\t"]

    /// `separator`: the CSV field separator (nil: the one the header row uses).
    init(path: String, format: Format, separator: Unicode.Scalar? = nil) throws(CtlError) {
        self.path = path
        self.format = format
        if format == .csv {
            let separator = separator ?? Self.separator(ofHeaderIn: path)
            guard let reader = CSVRows(path: path, separator: separator) else { throw CtlError("cannot read \(path)") }
            csv = reader
            guard let header = reader.next() else {
                throw CtlError("\(path): the file is empty; expected a header row naming the columns \(Self.columns.joined(separator: ","))", exitCode: 2)
            }
            if let problem = header.problem { throw CtlError("\(path):1: \(problem)", exitCode: 2) }
            let names = header.fields.map(Self.trimmed)
            for (position, name) in names.enumerated() { index[name.lowercased()] = position }
            let unknown = names.filter { !Self.columns.contains($0.lowercased()) }
            if !unknown.isEmpty {
                let named = separator == "\t" ? "a tab" : "'\(separator)'"
                throw CtlError(
                    "\(path):1: unknown columns \(unknown.joined(separator: ", ")) (fields separated by \(named));"
                        + " expected \(Self.columns.joined(separator: ","))", exitCode: 2)
            }
            for required in ["citizen", "caseworker", "takeover"] where index[required] == nil {
                throw CtlError("\(path):1: the header has no '\(required)' column", exitCode: 2)
            }
            positions = Self.columns.map { index[$0] }
        } else {
            guard let reader = LineReader(path: path) else { throw CtlError("cannot read \(path)") }
            lines = reader
        }
    }

    /// The separator the file's header row uses: of `,`, `;` and a tab, the one it has most of (quoted
    /// text aside), else `,`. The header names no column with any of them in it.
    static func separator(ofHeaderIn path: String) -> Unicode.Scalar {
        guard let file = FileHandle(forReadingAtPath: path) else { return "," }
        defer { try? file.close() }
        let start = (try? file.read(upToCount: 4096)) ?? Data()
        var counts: [UInt8: Int] = [:]
        var quoted = false
        for byte in start {
            if byte == UInt8(ascii: "\n") && !quoted { break }
            if byte == UInt8(ascii: "\"") { quoted.toggle() }
            if !quoted { counts[byte, default: 0] += 1 }
        }
        let best = separators.max { counts[UInt8($0.value), default: 0] < counts[UInt8($1.value), default: 0] } ?? ","
        return counts[UInt8(best.value), default: 0] > 0 ? best : ","
    }

    /// The next citizen, or nil at the end of the file.
    func next() -> ImportRecord? {
        format == .csv ? nextCSV() : nextJSON()
    }

    private func nextJSON() -> ImportRecord? {
        while let (number, line) = lines?.next() {
            if lines?.stopped == true { return ImportRecord(line: number, problem: LineReader.tooLong, problemLine: number) }
            if line.allSatisfy({ $0 == UInt8(ascii: " ") || $0 == UInt8(ascii: "\t") || $0 == UInt8(ascii: "\r") }) { continue }
            do {
                return ImportRecord(line: number, citizen: try decoder.decode(CitizenAddParams.self, from: line))
            } catch {
                return ImportRecord(line: number, problem: Self.describe(error), problemLine: number)
            }
        }
        return nil
    }

    private func readRow() -> CSVRow? {
        if let pending {
            self.pending = nil
            return pending
        }
        guard var row = csv?.next() else { return nil }
        row.fields = row.fields.map(Self.trimmed)
        return row
    }

    private func nextCSV() -> ImportRecord? {
        guard let first = readRow() else { return nil }
        func field(_ row: [String], _ column: Column) -> String? {
            guard let position = positions[column.rawValue], position < row.count else { return nil }
            let value = row[position]
            return value.isEmpty ? nil : value
        }
        var record = ImportRecord(line: first.line)
        let id = field(first.fields, .citizen) ?? ""
        var events: [NewEventParams] = []
        var rows = [first]
        while let next = readRow() {
            guard field(next.fields, .citizen) == id else {
                pending = next
                break
            }
            rows.append(next)
        }
        var failingLine = first.line
        do throws(CtlError) {
            for row in rows {
                failingLine = row.line
                if let problem = row.problem { throw CtlError(problem) }
            }
            failingLine = first.line
            let citizenID: CitizenID
            do { citizenID = try CitizenID(validating: id) } catch { throw CtlError(error.message) }
            let head = first.fields
            for row in rows {
                failingLine = row.line
                let row = row.fields
                for column in Column.details {
                    if let value = field(row, column), value != field(head, column) {
                        throw CtlError("\(column.name) '\(value)' differs from the citizen's first row (line \(first.line))")
                    }
                }
                guard let kind = field(row, .event) else { continue }
                let event: EventKind
                do { event = try EventKind.parse(kind) } catch { throw CtlError(error.message) }
                let date = try Self.date(field(row, .date), "date")
                var offer: OfferKind?
                if let text = field(row, .offer) {
                    guard let parsed = OfferKind(rawValue: text) else {
                        throw CtlError("offer '\(text)' is not praktik or loentilskud")
                    }
                    offer = parsed
                }
                events.append(NewEventParams(kind: event, date: date, offer: offer))
            }
            failingLine = first.line
            guard let caseworker = field(head, .caseworker) else { throw CtlError("no caseworker") }
            let takeover = try Self.date(field(head, .takeover), "takeover")
            let visitation = try field(head, .visitation).map { text throws(CtlError) in try Self.date(text, "visitation") }
            let track = try field(head, .track).map { text throws(CtlError) -> Track in
                guard let track = Track(rawValue: text) else { throw CtlError("track '\(text)' is not job-ready or activity-ready") }
                return track
            }
            record.citizen = CitizenAddParams(
                id: citizenID, caseworker: caseworker, takeover: takeover, visitation: visitation, track: track,
                household: field(head, .household), events: events)
        } catch {
            record.problem = error.description
            record.problemLine = failingLine
        }
        return record
    }

    /// A field without the spaces and tabs around it. A field quoted after a space (`a, "b"`), which CSV
    /// reads as text with quotes in it, loses its quotes too (such a field cannot hold a comma or a newline).
    static func trimmed(_ field: String) -> String {
        func isBlank(_ byte: UInt8) -> Bool { byte == UInt8(ascii: " ") || byte == UInt8(ascii: "\t") }
        guard let first = field.utf8.first, let last = field.utf8.last, isBlank(first) || isBlank(last) else { return field }
        let bytes = field.utf8.drop(while: isBlank).reversed().drop(while: isBlank).reversed()
        var text = String(decoding: bytes, as: UTF8.self)
        if text.utf8.count >= 2, text.utf8.first == UInt8(ascii: "\""), text.utf8.last == UInt8(ascii: "\"") {
            text = String(text.dropFirst().dropLast()).replacingOccurrences(of: "\"\"", with: "\"")
        }
        return text
    }

    /// A column's date, or an error naming the column and the text.
    static func date(_ text: String?, _ column: String) throws(CtlError) -> LocalDate {
        guard let text, let date = LocalDate(text) else {
            throw CtlError("\(column) '\(text ?? "")' is not a real date in the form YYYY-MM-DD")
        }
        return date
    }

    static func describe(_ error: any Error) -> String {
        guard let error = error as? DecodingError else { return "\(error)" }
        switch error {
        case .keyNotFound(let key, _): return "missing field '\(key.stringValue)'"
        case .dataCorrupted(let context), .typeMismatch(_, let context), .valueNotFound(_, let context):
            let path = context.codingPath.map { $0.intValue.map { "[\($0)]" } ?? $0.stringValue }.joined(separator: ".")
            return path.isEmpty ? "not a JSON object" : "field '\(path)': \(context.debugDescription)"
        @unknown default: return "\(error)"
        }
    }
}

/// Reads a file line by line in large chunks.
final class LineReader {
    private let file: ChunkedFile
    private var number = 0
    /// A line ran past `ChunkedFile.maxRecordBytes` (a whole JSON document on one line, say): it is given back
    /// empty, and nothing after it is read.
    private(set) var stopped = false
    static let tooLong =
        "the line is longer than 1 MiB; a JSON lines file holds one citizen per line; the rest of the file was not read"

    init?(path: String) {
        guard let file = ChunkedFile(path: path) else { return nil }
        self.file = file
    }

    /// The bytes consumed so far.
    var offset: Int { file.offset }

    func next() -> (Int, Data)? {
        while !stopped {
            if let newline = file.buffer[file.start...].firstIndex(of: UInt8(ascii: "\n")) {
                guard newline - file.start <= ChunkedFile.maxRecordBytes else { break }
                let line = Data(file.buffer[file.start..<newline])
                file.start = newline + 1
                number += 1
                return (number, line)
            }
            if file.buffer.count - file.start > ChunkedFile.maxRecordBytes { break }
            if !file.more() {
                guard file.start < file.buffer.count else { return nil }
                let line = Data(file.buffer[file.start...])
                file.start = file.buffer.count
                number += 1
                return (number, line)
            }
        }
        guard !stopped else { return nil }
        stopped = true
        number += 1
        return (number, Data())
    }
}
