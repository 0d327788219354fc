import NIOConcurrencyHelpers

/// What the faults did that the report and the checks need: the tallies, when Redis was last
/// killed (lost writes are judged against it), the kills of Sentinel masters with what followed
/// them, and the problems that fail the run.
final class FaultLedger: Sendable {
    /// One `kill -9` of the master of a Sentinel topology, in seconds since the start.
    struct MasterKillRecord: Sendable, Equatable {
        /// `node-2`.
        var node: String
        var port: Int
        var killedAt: Double
        /// How long the kill waited for the topology to settle after an earlier one.
        var waited: Double = 0
        /// When a Sentinel first named another master, and its port.
        var failoverAt: Double?
        var newMasterPort: Int?
        /// When the killed node had been started again and `start_ha` found the topology settled.
        var settledAt: Double?
        /// Whether both replicas were frozen while writes flowed before the kill.
        var frozeReplicas = false
        /// The ballast uploads sent during the freeze, by answer.
        var ballast: String?
        /// What each replica held right after the kill (the new master's starting state).
        var replicas: [ReplicaState] = []
        /// Why a replica could not be read right after the kill.
        var replicaReadErrors: [String] = []

        /// The state the node the Sentinels promoted started from; nil when unknown.
        var promotedState: ReplicaState? {
            replicas.first { $0.port == newMasterPort }
        }
    }

    private struct State {
        var tallies: [String: Int] = [:]
        var redisKilledAt: Double?
        var masterKills: [MasterKillRecord] = []
        /// Master kills whose node is not yet back in a settled topology.
        var unsettled = 0
        var problems: [String] = []
    }

    private let state = NIOLockedValueBox(State())

    func count(_ tally: String) {
        state.withLockedValue { $0.tallies[tally, default: 0] += 1 }
    }

    func tally(_ name: String) -> Int {
        state.withLockedValue { $0.tallies[name] ?? 0 }
    }

    /// Seconds since the start of the run's last `kill -9` of redis-server.
    var redisKilledAt: Double? {
        get { state.withLockedValue { $0.redisKilledAt } }
        set { state.withLockedValue { $0.redisKilledAt = newValue } }
    }

    /// Books a master kill; the topology counts as unsettled until `settled(_:)`. Returns its index.
    func killedMaster(_ record: MasterKillRecord) -> Int {
        state.withLockedValue { state in
            state.masterKills.append(record)
            state.unsettled += 1
            return state.masterKills.count - 1
        }
    }

    /// Changes the record of master kill `index`.
    func updateMasterKill(_ index: Int, _ change: (inout MasterKillRecord) -> Void) {
        state.withLockedValue { change(&$0.masterKills[index]) }
    }

    /// The killed node of master kill `index` is back (or will not be): the topology may be broken again.
    func settled(_ index: Int) {
        state.withLockedValue { $0.unsettled -= 1 }
    }

    var masterKills: [MasterKillRecord] { state.withLockedValue { $0.masterKills } }

    /// Whether a killed master is still on its way back.
    var isSettling: Bool { state.withLockedValue { $0.unsettled > 0 } }

    func problem(_ text: String) {
        state.withLockedValue { $0.problems.append(text) }
    }

    var problems: [String] { state.withLockedValue { $0.problems } }
}
