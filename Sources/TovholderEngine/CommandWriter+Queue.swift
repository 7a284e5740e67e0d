import Foundation
import TovholderStore

extension CommandWriter {
    /// The queue between the connections and the writer thread, guarded by its condition variable.
    final class WorkQueue: @unchecked Sendable {
        private let condition = NSCondition()
        private var items: [Work] = []
        private var closed = false
        /// The writer should look at the queue: work arrived, or queued read audits are due.
        private var wake = false
        /// A wake-up for queued read audits is pending.
        private var auditFlushPending = false

        private func locked<T>(_ body: () -> T) -> T {
            condition.lock()
            defer { condition.unlock() }
            return body()
        }

        /// Queues work and wakes the writer; false once the writer has stopped taking work.
        func push(_ work: Work) -> Bool {
            locked {
                guard !closed else { return false }
                items.append(work)
                wake = true
                condition.signal()
                return true
            }
        }

        /// Queues a read audit without waking the writer; true when the caller should arrange a wake-up.
        func pushAudit(_ entry: AuditEntry) -> Bool {
            locked {
                items.append(.audit(entry))
                defer { auditFlushPending = true }
                return !auditFlushPending
            }
        }

        func ring() {
            locked {
                wake = true
                condition.signal()
            }
        }

        /// Stops taking work; what is queued is still handed out.
        func close() {
            locked {
                closed = true
                condition.signal()
            }
        }

        /// Waits until there is reason to look, then returns the next transaction's work; nil once the queue
        /// is closed and drained. With `deadline`, waits no longer than until then, and returns nothing
        /// (an empty batch) when it passed first.
        func next(until deadline: Date? = nil) -> [Work]? {
            locked {
                while !wake || items.isEmpty {
                    if closed { break }
                    guard let deadline else {
                        condition.wait()
                        continue
                    }
                    if !condition.wait(until: deadline), !closed, !wake || items.isEmpty { return [] }
                }
                if items.isEmpty { return nil }
                let (batch, rest) = CommandWriter.nextBatch(items)
                items = rest
                if items.isEmpty {
                    auditFlushPending = false
                    wake = false
                }
                return batch
            }
        }
    }
}
