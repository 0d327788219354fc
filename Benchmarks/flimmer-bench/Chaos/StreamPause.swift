/// One client stops reading its stream for the downtime: its `EventStream` then reads nothing
/// more (it waits for its consumer), so the gateway's writes to it pile up in the socket.
struct StreamPause: Fault {
    var schedule: FaultSchedule
    /// Which client of `FaultContext.clients`.
    var client: Int
    var tally: String? { nil }

    func inject(_ context: FaultContext) async throws {
        let client = context.clients[client]
        client.pause()
        let seen = client.snapshot()
        context.log.say(
            "client \(seen.index) (\(seen.family), \(seen.role), gateway \(seen.gateway)) stops reading for \(ChaosLog.number(ChaosLog.seconds(schedule.downtime).rounded())) s"
        )
    }

    func undo(_ damage: Void, _ context: FaultContext) async throws {
        context.clients[client].resume()
    }
}
