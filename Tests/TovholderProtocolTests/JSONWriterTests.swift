import Foundation
import Testing
import TovholderCore
import TovholderProtocol

/// The hand-written encoder must give the same JSON as the Codable path the CLI decodes with.
@Suite struct JSONWriterTests {
    func codable<T: Encodable>(_ value: T) throws -> String {
        String(decoding: try WireProtocol.encoder.encode(value), as: UTF8.self)
    }

    func fast(_ value: some JSONWritable) -> String { String(decoding: value.jsonBytes, as: UTF8.self) }

    let date = LocalDate(year: 2026, month: 3, day: 9)!

    var deadline: DeadlineView {
        DeadlineView(
            citizen: "K-1", rule: "first-company-offer", title: "Første virksomhedsrettede tilbud", instance: "e12",
            trigger: date, due: date.adding(days: 31), status: .metLate, metOn: date.adding(days: 40),
            closedOn: date.adding(days: 40), progress: 1, required: 1, suspendedDays: 3, nextStage: "escalation",
            nextFiring: "2026-04-13T08:00:00+02:00")
    }

    var sparseDeadline: DeadlineView {
        DeadlineView(
            citizen: "K-1", rule: "contract", title: "Contract", instance: "takeover", trigger: date, due: date,
            status: .pending, metOn: nil, closedOn: nil, progress: 0, required: 4, suspendedDays: 0, nextStage: nil,
            nextFiring: nil)
    }

    @Test func citizensWithEventsAndDeadlinesMatchTheCodableEncoding() throws {
        let full = CitizenView(
            id: "K-1", caseworker: "cw-anna", takeover: date, visitation: date.adding(days: 2), track: .jobReady,
            household: "H-7",
            events: [EventView(seq: 12, kind: .offerStarted, date: date, offer: .loentilskud),
                     EventView(seq: -3, kind: .contractSigned, date: date, offer: nil)],
            deadlines: [deadline, sparseDeadline])
        let sparse = CitizenView(
            id: "K-2", caseworker: "cw-bo", takeover: date, visitation: nil, track: nil, household: nil, events: nil,
            deadlines: [])
        for citizen in [full, sparse] {
            #expect(fast(Response(id: 7, result: citizen)) == (try codable(Response(id: 7, result: citizen))))
        }
        let list = CitizenListView(citizens: [full, sparse], next: "K-2")
        #expect(fast(Response(id: nil, result: list)) == (try codable(Response(id: nil, result: list))))
        let deadlines = DeadlineListView(deadlines: [deadline, sparseDeadline])
        #expect(fast(deadlines) == (try codable(deadlines)))
    }

    @Test func statusAndErrorsMatchTheCodableEncoding() throws {
        let status = StatusView(
            version: "0.3.0", startedAt: "2026-11-22T08:00:00+01:00", uptimeSeconds: 86_400 * 400, citizens: 1_000_000,
            events: Int(Int32.max) + 5, deadlines: ["pending": 3, "overdue": 0, "met-late": 12, "met": 9],
            nextFiring: nil, outbox: ["pending": 1, "failed": 0], rulebook: "Integrationsloven \"2026\"", today: date,
            timers: TimersView(fired: 10, caughtUp: 3, queued: 9, latenessP50Ms: 1, latenessP99Ms: nil, latenessMaxMs: Int64.min),
            writes: WritesView(
                commits: 12, changes: Int(Int32.max) + 1, commitP50Us: 410, commitP99Us: 3_100, commitMaxUs: Int64.max,
                answerP50Us: nil, answerP99Us: 0, answerMaxUs: nil, redone: 2))
        #expect(fast(Response(id: 0, result: status)) == (try codable(Response(id: 0, result: status))))
        let refused = Response<Empty>(id: nil, error: WireError(.notFound, "no citizen K-404"))
        #expect(fast(refused) == (try codable(refused)))
        #expect(fast(Response(id: 1, result: Empty())) == (try codable(Response(id: 1, result: Empty()))))
    }

    /// The outbox payload and the spool line: the same JSON the Codable path wrote before.
    @Test func noticesMatchTheCodableEncoding() throws {
        let notice = Notice(
            citizen: "K-1", rule: "contract", title: "Kontrakt \"inden\" 1 måned", instance: "takeover", stage: "escalate-lead",
            stageKind: .escalation, due: date, status: .overdue, recipient: "lead-n", role: .teamLead, channel: "spool",
            firedAt: "2026-03-10T07:00:00Z")
        #expect(fast(notice) == (try codable(notice)))
        #expect(try JSONDecoder().decode(Notice.self, from: Data(notice.jsonBytes)) == notice)
    }

    /// The outbox stores a notice's details (the rest is in its columns) and reads them back without
    /// JSONDecoder when they are plain (Danish letters included), from the details or from a whole notice
    /// as older rows hold it; it declines — leaving them to JSONDecoder — whatever has an escape, a field no
    /// notice has, or is not whole.
    @Test func plainNoticeDetailsAreReadBackAsJSONDecoderReadsThem() throws {
        func plain(_ text: String) -> Notice.Details? {
            var text = text
            return text.withUTF8 { Notice.Details(plainJSON: UnsafeRawBufferPointer($0)) }
        }
        func decoded(_ text: String) throws -> Notice.Details { try JSONDecoder().decode(Notice.Details.self, from: Data(text.utf8)) }
        let danish = Notice(
            citizen: "K-1", rule: "first-offer", title: "Første virksomhedsrettede tilbud", instance: "takeover",
            stage: "remind-7d", stageKind: .reminder, due: date, status: .pending, recipient: "cw-anna", role: .caseworker,
            channel: "spool", firedAt: "2026-03-10T07:00:00Z")
        let text = fast(danish.details)
        #expect(!text.contains("citizen") && !text.contains("cw-anna"))
        #expect(plain(text) == danish.details)
        #expect(plain(text) == (try decoded(text)))
        // A row queued before the payload was cut down holds the whole notice.
        #expect(plain(fast(danish)) == danish.details)
        #expect(try decoded(fast(danish)) == danish.details)
        let rebuilt = Notice(
            key: danish.key, citizen: "K-1", rule: "first-offer", stage: "remind-7d", recipient: "cw-anna", channel: "spool",
            details: danish.details)
        #expect(rebuilt == danish)
        let quoted = Notice(
            citizen: "K-1", rule: "contract", title: "Kontrakt \"inden\" 1 måned", instance: "takeover", stage: "due",
            stageKind: .due, due: date, status: .overdue, recipient: "cw-anna", role: .caseworker, channel: "spool",
            firedAt: "2026-03-10T07:00:00Z")
        #expect(plain(fast(quoted.details)) == nil)
        #expect(try decoded(fast(quoted.details)) == quoted.details)
        #expect(plain(text.replacingOccurrences(of: #","title":"#, with: #","extra":"x","title":"#)) == nil)
        #expect(plain(text.replacingOccurrences(of: #","title":"Første virksomhedsrettede tilbud""#, with: "")) == nil)
        #expect(plain(text.replacingOccurrences(of: "2026-", with: "2026-13-")) == nil)
        #expect(plain(text.replacingOccurrences(of: #""role":"caseworker""#, with: #""role":"boss""#)) == nil)
        #expect(plain(String(text.dropLast())) == nil)
        #expect(plain(text + "x") == nil)
    }

    /// Quotes, backslashes, control characters and non-ASCII text: the same JSON value either way, and it
    /// reads back as the string that was written.
    @Test func stringsAreEscapedAsJSONRequires() throws {
        let awkward = "a\"b\\c/d\n\r\t\u{8}\u{c}\u{1}\u{1f}æøå 🙂 end"
        let error = WireError(.invalid, awkward)
        let fastText = fast(error)
        let parsed = try JSONSerialization.jsonObject(with: Data(fastText.utf8)) as? [String: Any]
        #expect(parsed?["message"] as? String == awkward)
        let decoded = try JSONDecoder().decode(WireError.self, from: Data(fastText.utf8))
        #expect(decoded == error)
        #expect(fast(WireError(.invalid, "plain/text æ")) == (try codable(WireError(.invalid, "plain/text æ"))))
    }
}
