/// One line on whether acknowledged writes that Redis no longer has fit its `appendfsync
/// everysec` window, or point at the gateway.
///
/// Under everysec Redis postpones the AOF write(2) for up to 2 s while a background fsync is
/// still running, and sends the replies anyway; kill -9 then loses those acknowledged writes.
/// Such a loss is always a suffix of what the old Redis executed: every write it ran after a
/// lost one is lost too. So a lost write that was answered before some kept write was even
/// sent is NOT that window, nor is one answered more than ~2 s before the kill.
enum LossExplanation {
    /// `writes`: every acknowledged write and whether Redis still has it; `killedAt`: seconds
    /// since the start of the kill -9, nil when Redis was not killed.
    static func explain(_ writes: [(ack: Ack, kept: Bool)], killedAt: Double?) -> String {
        let lost = writes.filter { !$0.kept }.map(\.ack)
        guard let killed = killedAt else { return "\(lost.count) acknowledged writes lost although Redis was never killed" }
        let keptBeforeKill = writes.filter { $0.kept && $0.ack.sent < killed }.map(\.ack)
        let unexplained = lost.filter { ack in
            ack.sent >= killed || ack.answered < killed - 2.5 || keptBeforeKill.contains { $0.sent > ack.answered }
        }
        if !unexplained.isEmpty {
            return "\(lost.count) acknowledged writes lost; \(unexplained.count) of them do NOT fit Redis's everysec "
                + "window (answered more than 2.5 s before the kill -9 at \(f2(killed)) s, or a write sent after "
                + "their answer was kept): not a Redis durability window, look at the gateway"
        }
        let first = lost.map(\.answered).min() ?? killed
        return "\(lost.count) acknowledged writes lost, all answered in the last \(f2(killed - first)) s before the "
            + "kill -9 at \(f2(killed)) s and no later write kept: this fits Redis's appendfsync everysec, which "
            + "postpones the AOF write while a background fsync runs and replies anyway; the shipped "
            + "redis.conf uses appendfsync always, under which this must not happen: check its appendfsync)"
    }

    static func f2(_ value: Double) -> String { String(format: "%.2f", value) }
}
