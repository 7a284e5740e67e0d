import Foundation
import TovholderCore
import TovholderSystemd

/// Writes each notice as a structured journal entry (TOVHOLDER_* fields), or as one line on stderr when
/// the daemon does not run under systemd.
public struct JournalChannel: NotificationChannel {
    public let name = "journal"
    let useJournal: Bool

    public init(useJournal: Bool = Systemd.journalAvailable) { self.useJournal = useJournal }

    public func deliver(_ notices: [Notice]) async -> [Result<Void, ChannelError>] {
        notices.map { notice in
            if useJournal {
                return Systemd.journalSend(fields(notice)) ? .success(()) : .failure(ChannelError("journald refused the entry"))
            }
            let line = "tovholderd: notice: \(notice.summary) key=\(notice.key)\n"
            FileHandle.standardError.write(Data(line.utf8))
            return .success(())
        }
    }

    func fields(_ notice: Notice) -> [(String, String)] {
        [
            ("MESSAGE", notice.summary), ("PRIORITY", notice.stageKind == .escalation ? "4" : "5"),
            ("SYSLOG_IDENTIFIER", "tovholderd"),
            ("TOVHOLDER_CITIZEN_ID", notice.citizen), ("TOVHOLDER_DEADLINE_RULE", notice.rule),
            ("TOVHOLDER_DEADLINE_INSTANCE", notice.instance), ("TOVHOLDER_STAGE", notice.stage),
            ("TOVHOLDER_STAGE_KIND", notice.stageKind.rawValue), ("TOVHOLDER_DUE", notice.due.description),
            ("TOVHOLDER_STATUS", notice.status.rawValue), ("TOVHOLDER_RECIPIENT", notice.recipient),
            ("TOVHOLDER_ROLE", notice.role.rawValue), ("TOVHOLDER_IDEMPOTENCY_KEY", notice.key),
        ]
    }
}
