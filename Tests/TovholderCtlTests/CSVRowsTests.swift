import Foundation
import Testing
import TovholderCore
import TovholderProtocol

@testable import TovholderCtl

@Suite struct CSVRowsTests {
    /// Writes `bytes` to a file of its own and returns its path.
    func file(_ bytes: [UInt8], named name: String = "rows.csv") throws -> String {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("csvrows-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let path = directory.appendingPathComponent(name).path
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        return path
    }

    func rows(_ path: String, separator: Unicode.Scalar = ",", chunk: Int = 1 << 20) throws -> [CSVRow] {
        let reader = try #require(CSVRows(path: path, separator: separator, chunk: chunk))
        var rows: [CSVRow] = []
        while let row = reader.next() { rows.append(row) }
        return rows
    }

    /// Every form RFC 4180 allows, and the ways exports bend it.
    static let sample = Array(
        ("\u{FEFF}a,b,c\r\n"  // a byte-order mark, CRLF
            + "1,\"two, with a comma\",3\n"
            + "\"say \"\"hi\"\"\",,\n"  // doubled quotes, empty fields
            + "\"two\nlines\",x,\"\"\r"  // a line end inside quotes, an empty quoted field, a lone CR
            + "\"quoted\" after,  spaced ,æøå\n"  // text after a closing quote is kept
            + "\n"  // a blank line is a row of one empty field
            + "last,row,unended").utf8)

    static let expected: [(Int, [String])] = [
        (1, ["a", "b", "c"]),
        (2, ["1", "two, with a comma", "3"]),
        (3, ["say \"hi\"", "", ""]),
        (4, ["two\nlines", "x", ""]),
        (6, ["quoted after", "  spaced ", "æøå"]),
        (7, [""]),
        (8, ["last", "row", "unended"]),
    ]

    @Test func readsQuotedFieldsLineEndsAndTheLastRowWithTheirLineNumbers() throws {
        let rows = try rows(try file(Self.sample))
        #expect(rows.map(\.line) == Self.expected.map(\.0))
        #expect(rows.map(\.fields) == Self.expected.map(\.1))
        #expect(rows.allSatisfy { $0.problem == nil })
    }

    /// A row may span two chunks anywhere: inside a quoted field, between a quote and the quote that
    /// doubles it, between CR and LF. Every chunk size from one byte gives the same rows.
    @Test func rowsAcrossChunksReadTheSameWhereverAChunkEnds() throws {
        let path = try file(Self.sample)
        let whole = try rows(path)
        for chunk in 1...Self.sample.count {
            let pieces = try rows(path, chunk: chunk)
            #expect(pieces.map(\.fields) == whole.map(\.fields), "chunk of \(chunk) bytes")
            #expect(pieces.map(\.line) == whole.map(\.line), "chunk of \(chunk) bytes")
        }
    }

    /// An export saved as Latin-1: the row with the byte that is not UTF-8 says so, and the rows after it
    /// are read as they are.
    @Test func aRowThatIsNotUTF8IsReportedAndTheRowsAfterItReadAsTheyAre() throws {
        let bytes = Array("citizen,household\nK1,A\n".utf8) + Array("K2,H".utf8) + [0xF8] + Array("j\nK3,C\n".utf8)
        let rows = try rows(try file(bytes))
        #expect(rows.map(\.line) == [1, 2, 3, 4])
        #expect(rows[2].problem == CSVRows.notUTF8)
        #expect(rows[2].fields.first == "K2")
        #expect(rows[3].fields == ["K3", "C"] && rows[3].problem == nil)
        #expect(rows.filter { $0.problem != nil }.count == 1)
    }

    @Test func aQuotedFieldLeftOpenAtTheEndIsReportedOnTheRowItOpens() throws {
        for chunk in [3, 1 << 20] {
            let rows = try rows(try file(Array("a;b\nx;\"never\nclosed".utf8)), separator: ";", chunk: chunk)
            #expect(rows.count == 2)
            #expect(rows[0].fields == ["a", "b"])
            #expect(rows[1].line == 2 && rows[1].problem == CSVRows.unclosed)
        }
    }

    /// A quote left open early in a large export would take the rest of the file in as one field: past
    /// 1 MiB the row is refused and nothing after it is read.
    @Test func aRowThatNeverEndsIsRefusedOnceItPassesAMebibyte() throws {
        let text = [UInt8](repeating: UInt8(ascii: "x"), count: 1_200_000)
        let open = try rows(try file(Array("a,b,c\n1,\"open".utf8) + text + Array("\n2,3,4\n".utf8)), chunk: 64 * 1024)
        #expect(open.count == 2)
        #expect(open[1].line == 2 && open[1].problem == CSVRows.tooLong)
        // A long field whose quote is closed before the limit is read whole, and so are the rows after it.
        let long = Array(text.prefix(900_000))
        let closed = try rows(try file(Array("a,b,c\n1,\"".utf8) + long + Array("\",3\n2,3,4\n".utf8)), chunk: 64 * 1024)
        #expect(closed.map(\.line) == [1, 2, 3] && closed.allSatisfy { $0.problem == nil })
        #expect(closed[1].fields.count == 3 && closed[1].fields[1].utf8.count == 900_000)
        // A row over the limit is refused even when its end is in what was read, wherever the chunks fall.
        for chunk in [64 * 1024, 1 << 20, 4 << 20] {
            let over = try rows(try file(Array("a,b,c\n1,\"".utf8) + text + Array("\",3\n2,3,4\n".utf8)), chunk: chunk)
            #expect(over.count == 2 && over[1].problem == CSVRows.tooLong, "chunk of \(chunk) bytes")
        }
    }

    /// The same for JSON lines: a whole JSON document on one line is refused, not read into memory.
    @Test func aJSONLineOverAMebibyteIsRefusedWithItsLine() throws {
        let line = #"{"id":"K-1","caseworker":"cw-anna","takeover":"2026-10-01"}"#
        let huge = "[" + Array(repeating: line, count: 20_000).joined(separator: ",") + "]"  // 1.2 MB
        let reader = try ImportReader(path: try file(Array((line + "\n" + huge + "\n" + line + "\n").utf8), named: "x.jsonl"), format: .jsonl)
        var records: [ImportRecord] = []
        while let record = reader.next() { records.append(record) }
        #expect(records.count == 2)
        #expect(records[0].citizen?.id.rawValue == "K-1")
        #expect(records[1].problem == LineReader.tooLong && records[1].problemLine == 2)
    }

    @Test func theSeparatorIsTheOneGivenAndAnEmptyFileHasNoRows() throws {
        let tabbed = try rows(try file(Array("a\tb,c\n1\t2;3\n".utf8)), separator: "\t")
        #expect(tabbed.map(\.fields) == [["a", "b,c"], ["1", "2;3"]])
        #expect(try rows(try file([])).isEmpty)
        #expect(try rows(try file([0xEF, 0xBB, 0xBF])).isEmpty)
    }

    /// The import reader on top: a Latin-1 row is refused with its line, and the citizens after it are read.
    @Test func theImportReaderReportsTheRowThatIsNotUTF8ByItsLine() throws {
        let header = "citizen,caseworker,takeover,visitation,track,household,event,date,offer\n"
        let bytes = Array((header + "K1,cw-anna,2026-10-01,,,,,,\n").utf8) + Array("K2,cw-anna,2026-10-01,,,H".utf8) + [0xF8]
            + Array("j,,,\nK3,cw-anna,2026-10-01,,,,conversation-held,2026-10-02,\n".utf8)
        let reader = try ImportReader(path: try file(bytes), format: .csv)
        var records: [ImportRecord] = []
        while let record = reader.next() { records.append(record) }
        #expect(records.map(\.line) == [2, 3, 4])
        #expect(records[0].citizen?.id.rawValue == "K1")
        #expect(records[1].citizen == nil && records[1].problem == CSVRows.notUTF8 && records[1].problemLine == 3)
        #expect(records[2].citizen?.id.rawValue == "K3" && records[2].citizen?.events?.count == 1)
        #expect(reader.bytesRead == bytes.count)
    }
}
