import Foundation

/// A file read in large chunks, for readers that scan its bytes.
final class ChunkedFile {
    private let handle: FileHandle
    /// What has been read and not yet consumed starts at `start`.
    private(set) var buffer: [UInt8] = []
    var start = 0
    /// The file's offset of `buffer[0]`.
    private var base = 0
    private(set) var atEnd = false
    /// Bytes read at a time.
    let chunk: Int
    /// No row of an export, nor a JSON line, is anywhere near this long; one that is most likely has a
    /// quote that is never closed (or is a whole document on one line), and reading on would take the
    /// rest of the file (gigabytes, perhaps) into memory as one record.
    static let maxRecordBytes = 1 << 20

    init?(path: String, chunk: Int = 1 << 20) {
        guard let handle = FileHandle(forReadingAtPath: path) else { return nil }
        self.handle = handle
        self.chunk = chunk
    }

    deinit { try? handle.close() }

    /// The bytes consumed so far.
    var offset: Int { base + start }

    /// Reads the next chunk after what is unread (one copy per chunk, not one per line or row); false at
    /// the end of the file.
    func more() -> Bool {
        guard !atEnd else { return false }
        let chunk = handle.readData(ofLength: chunk)
        guard !chunk.isEmpty else {
            atEnd = true
            return false
        }
        base += start
        buffer.removeSubrange(..<start)
        buffer.append(contentsOf: chunk)
        start = 0
        return true
    }
}

/// One row of a CSV file: its fields, the line it starts on, and what is wrong with it, if anything.
struct CSVRow {
    var line: Int
    var fields: [String]
    var problem: String?
}

/// Reads RFC 4180 CSV straight from the file's bytes: fields separated by `separator`, rows by LF, CRLF
/// or CR, a field in double quotes holding separators, line ends and doubled quotes (`""`); text after a
/// closing quote is kept with the field. A UTF-8 byte-order mark at the start is skipped.
///
/// CSV.swift (read through `InputStream` and a scalar at a time) took most of a core to read a million
/// citizens' rows, more than the daemon's writer needed to store them; and where a byte was not UTF-8
/// (an export saved as Latin-1 or Windows-1252, with æ, ø and å) it ended the row there and went on
/// mid-row, so the rows after it were read wrongly and reported with errors that were not theirs. Here
/// the rows are found in the bytes before anything is decoded, so such a row is reported for what it
/// is and the rows after it are read as they are.
final class CSVRows {
    private let file: ChunkedFile
    private let separator: UInt8
    /// The line the next row starts on.
    private var line = 1
    private var started = false
    /// A row ran past `ChunkedFile.maxRecordBytes`: nothing after it is read.
    private var stopped = false

    /// `chunk`: bytes read at a time (small ones only to test rows that span chunks).
    init?(path: String, separator: Unicode.Scalar, chunk: Int = 1 << 20) {
        guard let file = ChunkedFile(path: path, chunk: chunk), separator.isASCII else { return nil }
        self.file = file
        self.separator = UInt8(separator.value)
    }

    /// The bytes consumed so far.
    var offset: Int { file.offset }

    /// The next row, or nil at the end of the file.
    func next() -> CSVRow? {
        if !started {
            started = true
            while file.buffer.count < 3 && file.more() {}
            if file.buffer.starts(with: [0xEF, 0xBB, 0xBF]) { file.start = 3 }
        }
        while !stopped {
            if file.start == file.buffer.count && !file.more() { return nil }
            if let (row, end, lines) = parse(), end - file.start <= ChunkedFile.maxRecordBytes {
                file.start = end
                defer { line += lines }
                return row
            }
            // Over the limit whether or not its end was read yet: which it is depends only on where the
            // chunks fell.
            if file.buffer.count - file.start > ChunkedFile.maxRecordBytes {
                stopped = true
                return CSVRow(line: line, fields: [], problem: Self.tooLong)
            }
            // The row goes on past what is read: read more (or learn that the file ends there) and parse
            // it again from its start.
            _ = file.more()
        }
        return nil
    }

    /// Parses the row at `file.start`: the row, where it ends and how many lines it spans, or nil when the
    /// bytes read so far end before it does (and the file does not end there).
    private func parse() -> (CSVRow, end: Int, lines: Int)? {
        let quote = UInt8(ascii: "\""), cr = UInt8(ascii: "\r"), lf = UInt8(ascii: "\n")
        let separator = self.separator
        let atEnd = file.atEnd
        return file.buffer.withUnsafeBufferPointer { bytes -> (CSVRow, end: Int, lines: Int)? in
            var fields: [String] = []
            var valid = true
            var lines = 1
            var i = file.start
            let count = bytes.count
            func text(_ part: UnsafeBufferPointer<UInt8>) -> String {
                // Nearly every field is ASCII, which needs no validating (the generic validation was a
                // tenth of the reading).
                if part.allSatisfy({ $0 < 0x80 }) { return String(decoding: part, as: UTF8.self) }
                if let text = String(validating: part, as: UTF8.self) { return text }
                valid = false
                return String(decoding: part, as: UTF8.self)
            }
            while true {
                if i < count && bytes[i] == quote {
                    // A quoted field: copied, since a doubled quote stands for one.
                    var field: [UInt8] = []
                    i += 1
                    var closed = false
                    while i < count {
                        let byte = bytes[i]
                        if closed {
                            if byte == separator || byte == cr || byte == lf { break }
                            field.append(byte)
                        } else if byte == quote {
                            if i + 1 < count && bytes[i + 1] == quote {
                                field.append(quote)
                                i += 1
                            } else if i + 1 == count && !atEnd {
                                return nil  // a doubled quote may go on in the next chunk
                            } else {
                                closed = true
                            }
                        } else {
                            if byte == lf || (byte == cr && (i + 1 == count || bytes[i + 1] != lf)) { lines += 1 }
                            field.append(byte)
                        }
                        i += 1
                    }
                    if !closed && !atEnd { return nil }
                    if !closed {
                        return (CSVRow(line: line, fields: [], problem: Self.unclosed), count, lines)
                    }
                    fields.append(field.withUnsafeBufferPointer(text))
                } else {
                    let from = i
                    while i < count, bytes[i] != separator, bytes[i] != cr, bytes[i] != lf { i += 1 }
                    fields.append(text(UnsafeBufferPointer(rebasing: bytes[from..<i])))
                }
                if i == count {
                    guard atEnd else { return nil }
                    break  // the last row, without a line end
                }
                let byte = bytes[i]
                i += 1
                if byte == separator { continue }
                if byte == cr {
                    if i == count && !atEnd { return nil }  // an LF may follow in the next chunk
                    if i < count && bytes[i] == lf { i += 1 }
                }
                break
            }
            return (CSVRow(line: line, fields: fields, problem: valid ? nil : Self.notUTF8), i, lines)
        }
    }

    static let unclosed = "a quoted field opens on this row and the file ends before its closing quote"
    static let tooLong =
        "the row is longer than 1 MiB (a quoted field that opens on it is probably never closed); the rest of the file was not read"
    static let notUTF8 = "the row is not UTF-8 text; save the export as UTF-8 (it looks like Latin-1 or Windows-1252)"
}
