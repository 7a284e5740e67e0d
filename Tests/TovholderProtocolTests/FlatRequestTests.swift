import Foundation
import Testing
import TovholderCore
import TovholderProtocol

/// The fast reader must agree with JSONDecoder on every line it accepts, and decline everything else.
@Suite struct FlatRequestTests {
    func flat(_ line: String) -> FlatRequest? {
        Data(line.utf8).withUnsafeBytes { FlatRequest.parse($0) }
    }

    @Test func plainRequestsAreReadAsJSONDecoderReadsThem() throws {
        let lines = [
            #"{"v":1,"id":7,"op":"event.record","params":{"citizen":"K-1","kind":"offer-started","date":"2026-11-20","offer":"praktik"}}"#,
            #" { "op" : "event.record" , "v" : 1 , "params" : { "date" : "2026-02-01", "kind":"contract-signed","citizen":"A.b_9", "offer": null, "note": true, "n": -12 } } "#,
            #"{"v":1,"op":"status"}"#,
            #"{"v":1,"op":"status","params":{}}"#,
            #"{"v":1,"id":0,"op":"citizen.show","params":{"id":"K-2026-117"}}"#,
        ]
        for line in lines {
            let fast = try #require(flat(line), "\(line)")
            let header = try JSONDecoder().decode(RequestHeader.self, from: Data(line.utf8))
            #expect(fast.v == header.v)
            #expect(fast.id == header.id)
            #expect(fast.op == header.op)
            if fast.op == "event.record" {
                let slow = try JSONDecoder().decode(RequestParams<EventRecordParams>.self, from: Data(line.utf8)).params
                let quick = try #require(EventRecordParams(fast))
                #expect(quick.citizen == slow.citizen)
                #expect(quick.kind == slow.kind)
                #expect(quick.date == slow.date)
                #expect(quick.offer == slow.offer)
            }
        }
        #expect(flat(lines[1])?.params["n"] == .integer(-12))
        #expect(CitizenShowParams(try #require(flat(lines[4])))?.id.rawValue == "K-2026-117")
    }

    /// Lines the fast reader declines go to JSONDecoder, which accepts or refuses them with its message.
    @Test func anythingNotPlainIsDeclined() {
        let declined = [
            "", "not json", "{", #"{"v":1"#, #"{"v":1,}"#, #"{"v":1} x"#, #"[1]"#,
            #"{"v":1.0,"op":"status"}"#, #"{"v":1e0,"op":"status"}"#, #"{"v":01,"op":"status"}"#,
            #"{"v":"1","op":"status"}"#, #"{"v":1,"op":7}"#, #"{"v":99999999999999999999,"op":"status"}"#,
            #"{"v":1,"v":1,"op":"status"}"#, #"{"v":1,"op":"x","params":{"a":"b","a":"c"}}"#,
            #"{"v":1,"op":"event.record","params":{"citizen":"K\u002d1"}}"#,
            #"{"v":1,"op":"event.record","params":{"citizen":"Kæ"}}"#,
            #"{"v":1,"op":"x","params":{"a":[{"b":[{"c":[]}]}]}}"#, #"{"v":1,"op":"x","params":{"a":[1]}}"#,
            #"{"v":1,"op":"x","params":{"a":[[]]}}"#, #"{"v":1,"op":"x","params":{"a":[{},]}}"#,
            #"{"v":1,"op":"x","params":{"a":[{"b":1,"b":2}]}}"#, #"{"v":1,"op":"x","params":{"a":{"b":1}}}"#,
            #"{"v":1,"op":"status","params":5}"#, #"{"v":1,"op":"status","extra":{}}"#,
            "{\"v\":1,\"op\":\"a\tb\"}",
        ]
        for line in declined {
            #expect(flat(line) == nil, "\(line)")
        }
    }

    /// A plain line with parameters JSONDecoder would refuse is not taken on the fast path either, so the
    /// refusal is worded by the one place that words them.
    @Test func invalidParametersAreLeftToTheDecoder() throws {
        for params in [
            #"{"citizen":"K-1","kind":"party","date":"2026-01-01"}"#,
            #"{"citizen":"K-1","kind":"contract-signed","date":"2026-02-30"}"#,
            #"{"citizen":"0101901234","kind":"contract-signed","date":"2026-01-01"}"#,
            #"{"citizen":"K-1","kind":"offer-started","date":"2026-01-01","offer":"job"}"#,
            #"{"citizen":"K-1","kind":"contract-signed"}"#,
        ] {
            let request = try #require(flat(#"{"v":1,"op":"event.record","params":"# + params + "}"))
            #expect(EventRecordParams(request) == nil, "\(params)")
        }
    }

    var batch: CitizenImportParams {
        let date = LocalDate(year: 2025, month: 3, day: 1)!
        return CitizenImportParams(citizens: [
            CitizenAddParams(
                id: CitizenID(trusted: "K-1"), caseworker: "cw-anna", takeover: date, visitation: date.adding(days: 3), track: .jobReady,
                household: "H-1",
                events: [NewEventParams(kind: .contractSigned, date: date.adding(days: 9), offer: nil),
                         NewEventParams(kind: .offerStarted, date: date.adding(days: 20), offer: .loentilskud)]),
            CitizenAddParams(id: CitizenID(trusted: "K-2"), caseworker: "cw-bo", takeover: date, visitation: nil, track: nil, household: nil, events: []),
            CitizenAddParams(id: CitizenID(trusted: "K-3"), caseworker: "cw-bo", takeover: date, visitation: nil, track: .activityReady, household: nil),
        ], dryRun: true)
    }

    /// What tovholderctl sends for an import batch is read on the fast path, to the same parameters.
    @Test func importBatchesAreReadAsJSONDecoderReadsThem() throws {
        let request = Request(id: 3, op: "citizen.import", params: batch)
        let written = request.jsonBytes
        #expect(String(decoding: written, as: UTF8.self) == String(decoding: try WireProtocol.encoder.encode(request), as: UTF8.self))
        let parsed = try #require(written.withUnsafeBytes { FlatRequest.parse($0) })
        #expect(parsed.op == "citizen.import" && parsed.id == 3)
        let quick = try #require(CitizenImportParams(parsed))
        let slow = try JSONDecoder().decode(RequestParams<CitizenImportParams>.self, from: Data(written)).params
        #expect(quick.jsonBytes == slow.jsonBytes)
        #expect(quick.citizens.map(\.events?.count) == [2, 0, nil])
        #expect(quick.dryRun == true)
    }

    /// A batch with anything JSONDecoder would refuse is left to it, so its message names the field.
    @Test func invalidImportBatchesAreLeftToTheDecoder() throws {
        let good = #"{"id":"K-1","caseworker":"cw","takeover":"2025-01-01","events":[{"kind":"contract-signed","date":"2025-01-05"}]}"#
        #expect(CitizenImportParams(try #require(flat(#"{"v":1,"op":"citizen.import","params":{"citizens":["# + good + "]}}"))) != nil)
        for citizen in [
            #"{"id":"K-1","caseworker":"cw","takeover":"2025-02-30"}"#,
            #"{"id":"K-1","takeover":"2025-01-01"}"#,
            #"{"id":"0101901234","caseworker":"cw","takeover":"2025-01-01"}"#,
            #"{"id":"K-1","caseworker":"cw","takeover":"2025-01-01","track":"fast"}"#,
            #"{"id":"K-1","caseworker":"cw","takeover":"2025-01-01","visitation":5}"#,
            #"{"id":"K-1","caseworker":"cw","takeover":"2025-01-01","events":[{"kind":"party","date":"2025-01-05"}]}"#,
            #"{"id":"K-1","caseworker":"cw","takeover":"2025-01-01","events":[{"kind":"offer-started","date":"2025-01-05","offer":"job"}]}"#,
            #"{"id":"K-1","caseworker":"cw","takeover":"2025-01-01","events":[{"kind":"contract-signed"}]}"#,
            #"{"id":"K-1","caseworker":"cw","takeover":"2025-01-01","events":"none"}"#,
        ] {
            let request = try #require(flat(#"{"v":1,"op":"citizen.import","params":{"citizens":["# + good + "," + citizen + "]}}"), "\(citizen)")
            #expect(CitizenImportParams(request) == nil, "\(citizen)")
        }
        #expect(CitizenImportParams(try #require(flat(#"{"v":1,"op":"citizen.import","params":{"citizens":[],"dryRun":"yes"}}"#))) == nil)
    }
}
