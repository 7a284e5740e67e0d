import ArgumentParser
import Foundation
import Synchronization
import TovholderCore
import TovholderProtocol

struct ImportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "import", abstract: "Import citizens and their events from CSV or JSON lines, in batches.",
        discussion: """
            CSV: a header row with the columns citizen,caseworker,takeover,visitation,track,household,event,date,offer \
            (separated by commas, semicolons or tabs, as the header row shows); \
            one row per event (a row with an empty event adds the citizen only), the citizen's columns repeated, \
            a citizen's rows together. JSON lines: one object per line as citizen.add takes it, with "events". \
            Each batch is imported all or nothing; running the same import again adds only what is missing. \
            With --dry-run every batch is checked against the store and reported the same way, and nothing is stored.
            """)

    @OptionGroup var global: GlobalOptions
    @Argument(help: "The file to import.") var file: String
    @Option(help: "csv or jsonl (default: from the file name).") var format: String?
    @Option(name: .customLong("batch-size"), help: "Citizens per batch (1–10000).") var batchSize: Int = 1000
    @Option(help: "The CSV field separator: ',', ';' or 'tab' (default: the one the header row uses).") var separator: String?
    @Flag(name: .customLong("dry-run"), help: "Check every row against the store and report what would be imported; store nothing.")
    var dryRun = false

    func validate() throws {
        guard (1...10_000).contains(batchSize) else { throw ValidationError("--batch-size must be between 1 and 10000") }
        if let format, ImportReader.Format(rawValue: format) == nil { throw ValidationError("--format must be csv or jsonl") }
        if let separator, resolvedSeparator == nil {
            throw ValidationError("--separator must be ',', ';' or 'tab', not '\(separator)'")
        }
        if separator != nil, resolvedFormat == .jsonl { throw ValidationError("--separator is for CSV files, not JSON lines") }
    }

    var resolvedSeparator: Unicode.Scalar? {
        switch separator {
        case "tab", "\t": "\t"
        case let given?: given.unicodeScalars.count == 1 && ImportReader.separators.contains(given.unicodeScalars.first!)
            ? given.unicodeScalars.first : nil
        case nil: nil
        }
    }

    var resolvedFormat: ImportReader.Format {
        if let format { return ImportReader.Format(rawValue: format)! }
        return file.hasSuffix(".jsonl") || file.hasSuffix(".json") || file.hasSuffix(".ndjson") ? .jsonl : .csv
    }

    func run() throws {
        try perform { () throws(CtlError) in
            let reader = try ImportReader(path: file, format: resolvedFormat, separator: resolvedSeparator)
            let total = (try? FileManager.default.attributesOfItem(atPath: file)[.size] as? Int) ?? 0
            let terminal = isatty(STDERR_FILENO) == 1 && !global.json
            let importer = Importer(
                socket: global.socketPath, timeout: global.timeout, file: file, terminal: terminal, dryRun: dryRun)
            let progress = Progress(total: total, enabled: terminal)
            var batch = Importer.Batch()
            while let record = reader.next() {
                batch.firstLine = batch.firstLine ?? record.line
                batch.lastLine = max(batch.lastLine, record.problemLine ?? record.line)
                if let problem = record.problem {
                    importer.reject(line: record.problemLine ?? record.line, problem)
                    batch.invalid = true
                }
                if let citizen = record.citizen {
                    batch.citizens.append(citizen)
                    batch.lines.append(record.line)
                    batch.bytes += 200 + 3 * citizen.id.rawValue.utf8.count + citizen.caseworker.utf8.count
                        + 90 * (citizen.events?.count ?? 0)
                }
                if batch.citizens.count >= batchSize || batch.bytes >= Importer.batchBytes {
                    try importer.submit(batch)
                    batch = Importer.Batch()
                    progress.show(bytes: reader.bytesRead, importer.totals)
                }
            }
            if !batch.citizens.isEmpty || batch.invalid { try importer.submit(batch) }
            var totals = try importer.finish()
            if !dryRun {
                // A first load into an empty store builds its deadline indexes now (seconds at a million).
                progress.status("finishing")
                do {
                    let finished = try Client(path: global.socketPath, timeoutSeconds: max(global.timeout, 300))
                        .call(.citizenImportFinish, Empty(), as: ImportFinishView.self)
                    if finished.indexesBuilt { totals.indexSeconds = finished.seconds }
                } catch {
                    // What was imported is stored; the daemon ends a first load itself before long.
                    progress.finish()
                    FileHandle.standardError.write(Data(
                        "tovholderctl: what was imported is stored, but the daemon did not hear that the import is complete: \(error)\n".utf8))
                }
            }
            progress.finish()
            if global.json {
                Output.printJSON(totals)
            } else {
                print((dryRun ? "dry run, nothing stored: would import " : "imported ")
                    + "\(Output.counted(totals.added, "citizen")) and \(Output.counted(totals.eventsAdded, "event"));"
                    + " \(totals.unchanged) already up to date"
                    + (totals.refusedBatches > 0
                        ? "; \(Output.counted(totals.refusedBatches, "batch", plural: "batches"))"
                            + " (\(Output.counted(totals.refusedCitizens, "citizen"))) \(dryRun ? "would be " : "")refused"
                        : "")
                    + (totals.indexSeconds.map { "; deadline indexes of the first load built in \(String(format: "%.1f", $0)) s" } ?? ""))
            }
            if totals.refusedBatches > 0 {
                throw CtlError(
                    dryRun
                        ? "fix the lines reported above before importing"
                        : "fix the lines reported above and run the same import again; what was imported stays",
                    exitCode: 1)
            }
        }
    }
}

/// Sends batches over several connections (so reading the file and storing a batch overlap) and gathers
/// the results. Refused rows are printed as FILE:LINE: reason.
final class Importer: Sendable {
    /// Batches in flight at once. The daemon works out each batch's citizens as it arrives, and its
    /// writer stores up to two waiting batches in one transaction (each still all or nothing), so with
    /// four in flight two are worked out while two are written. (Before the daemon worked batches out
    /// ahead, four in flight took a million citizens in 104 s against 117 s with two; eight were no
    /// better than four.)
    static let connections = 4

    struct Batch {
        var citizens: [CitizenAddParams] = []
        var lines: [Int] = []
        /// A row of the batch could not be read: the batch is only checked, not stored (all or nothing).
        var invalid = false
        /// The file lines the batch spans, readable or not.
        var firstLine: Int?
        var lastLine = 0
        /// An upper estimate of the request's size: a batch is sent before it outgrows the daemon's line limit.
        var bytes = 0
    }

    /// Stays well under the daemon's default request limit (1 MiB); per citizen at most ~200 bytes plus
    /// ~90 per event (ids and caseworkers are at most 64 characters).
    static let batchBytes = 900_000

    /// With `dryRun`, what would be imported: the batches were checked and none stored.
    struct Totals: Codable, Sendable {
        var dryRun = false
        var added = 0
        var unchanged = 0
        var eventsAdded = 0
        var refusedBatches = 0
        var refusedCitizens = 0
        /// A first load into an empty store: the seconds its deadline indexes took to build at the end.
        var indexSeconds: Double?
    }

    struct State {
        var queue: [Batch] = []
        var totals = Totals()
        var done = false
        var failure: CtlError?
        var busy = 0
    }

    let socket: String
    let timeout: Int
    let file: String
    /// Clear the progress line before printing a problem.
    let terminal: Bool
    /// Every batch is only checked.
    let dryRun: Bool
    private let state = Mutex(State())
    private let available = DispatchSemaphore(value: 0)
    /// Batches read and not yet answered: those in flight and as many read ahead.
    private let slots = DispatchSemaphore(value: 2 * Importer.connections)
    private let finished = DispatchGroup()

    init(socket: String, timeout: Int, file: String, terminal: Bool, dryRun: Bool = false) {
        self.socket = socket
        self.timeout = timeout
        self.file = file
        self.terminal = terminal
        self.dryRun = dryRun
        state.withLock { $0.totals.dryRun = dryRun }
        for _ in 0..<Self.connections {
            finished.enter()
            Thread.detachNewThread { [self] in
                worker()
                finished.leave()
            }
        }
    }

    var totals: Totals { state.withLock { $0.totals } }

    func reject(line: Int, _ message: String) {
        FileHandle.standardError.write(Data("\(terminal ? "\r\u{1B}[K" : "")\(file):\(line): \(message)\n".utf8))
    }

    func submit(_ batch: Batch) throws(CtlError) {
        if let failure = state.withLock({ $0.failure }) { throw failure }
        slots.wait()
        state.withLock { $0.queue.append(batch) }
        available.signal()
    }

    func finish() throws(CtlError) -> Totals {
        state.withLock { $0.done = true }
        available.signal()
        available.signal()
        finished.wait()
        return try state.withLock { state throws(CtlError) -> Totals in
            if let failure = state.failure { throw failure }
            return state.totals
        }
    }

    private func worker() {
        let client: Client
        do { client = try Client(path: socket, timeoutSeconds: max(timeout, 300)) } catch {
            state.withLock { $0.failure = $0.failure ?? error }
            drain()
            return
        }
        while true {
            available.wait()
            let batch = state.withLock { state -> Batch? in state.queue.isEmpty ? nil : state.queue.removeFirst() }
            guard let batch else {
                if state.withLock({ $0.done && $0.queue.isEmpty }) {
                    available.signal()
                    return
                }
                continue
            }
            defer { slots.signal() }
            do {
                // A batch with an unreadable row is only checked (dry run), so its other problems show now too.
                let result = try client.call(
                    .citizenImport, CitizenImportParams(citizens: batch.citizens, dryRun: batch.invalid || dryRun ? true : nil),
                    as: ImportResultView.self)
                for problem in result.problems { reject(line: batch.lines[problem.index], problem.message) }
                // A dry run is never applied; without problems it would have been.
                let good = (dryRun ? result.problems.isEmpty : result.applied) && !batch.invalid
                state.withLock {
                    if good {
                        $0.totals.added += result.added
                        $0.totals.unchanged += result.unchanged
                        $0.totals.eventsAdded += result.eventsAdded
                    } else {
                        $0.totals.refusedBatches += 1
                        $0.totals.refusedCitizens += batch.citizens.count
                    }
                }
                if !good, let first = batch.firstLine {
                    reject(line: first, "batch of lines \(first)–\(batch.lastLine) \(dryRun ? "would not be" : "not") imported because of the rows above")
                }
            } catch {
                state.withLock { $0.failure = $0.failure ?? error }
            }
        }
    }

    /// After a failed connection, keep taking batches so the reader is never blocked.
    private func drain() {
        while true {
            available.wait()
            let stop = state.withLock { state -> Bool in
                if !state.queue.isEmpty { state.queue.removeFirst() }
                return state.done && state.queue.isEmpty
            }
            slots.signal()
            if stop {
                available.signal()
                return
            }
        }
    }
}

/// A one-line progress display on a terminal.
final class Progress {
    let total: Int
    let enabled: Bool
    let started = Date()
    private var last = Date.distantPast

    init(total: Int, enabled: Bool) {
        self.total = total
        self.enabled = enabled
    }

    func show(bytes: Int, _ totals: Importer.Totals) {
        guard enabled, Date().timeIntervalSince(last) > 0.2 else { return }
        last = Date()
        let percent = total > 0 ? min(100, bytes * 100 / total) : 0
        let rate = Double(totals.added + totals.unchanged) / max(Date().timeIntervalSince(started), 0.001)
        let width = 30
        let filled = width * percent / 100
        let bar = String(repeating: "#", count: filled) + String(repeating: "-", count: width - filled)
        let counts = "\(Output.counted(totals.added + totals.unchanged, "citizen")), \(Output.counted(totals.eventsAdded, "event"))"
        FileHandle.standardError.write(Data("\r[\(bar)] \(percent)%  \(counts), \(Int(rate))/s\u{1B}[K".utf8))
    }

    /// Replaces the bar with a word of what is being done.
    func status(_ text: String) {
        if enabled { FileHandle.standardError.write(Data("\r\(text)…\u{1B}[K".utf8)) }
    }

    func finish() {
        if enabled { FileHandle.standardError.write(Data("\r\u{1B}[K".utf8)) }
    }
}
