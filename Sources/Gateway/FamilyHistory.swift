import ContentQueue
import RedisClient

/// What a hub knows of one family's queue, and what its streams must hear when that changes.
///
/// Versions compare only within one history: the same epoch and the same generation (the
/// master's replication id, which changes on a failover and on a restart). Within a history
/// versions only rise, so a read that is behind an event already relayed is just late (the
/// newer of the two is kept). Across histories nothing is absorbed: a new master that does not
/// reach what the hub relayed has lost writes, and every stream is reset; one that does is
/// announced (``Change/newHistory``), so that no stream keeps an id the new master cannot vouch for.
struct FamilyHistory: Sendable {
    /// What the family's streams must be told.
    enum Change: Equatable, Sendable {
        /// Nothing new, or an event will tell them.
        case none
        /// The queue moved on: one `invalidate` (reason `resync`).
        case ahead
        /// Another master, holding at least what was relayed: the queue's streams get one
        /// `invalidate` (reason `resync`), since their ids are of a history this master cannot
        /// vouch for; the family's other streams get `reset` (their keys' versions are not tracked).
        case newHistory
        /// The state the streams saw is gone: `reset`.
        case reset
    }

    /// The newest state known: its tag is the id of the family's events.
    private(set) var known: FamilyVersion?
    /// The version of the last event heard in `known`'s history; an event below it went back.
    private var heard: Int?
    /// Generations this family has left, newest last: their late events and reads are stale.
    private var left: [RedisGeneration] = []
    /// How many left generations are remembered; a master changes rarely.
    private static let leftLimit = 4

    /// A state read from Redis (a stream opening, a re-check after a reconnect or a failover).
    /// With `generationsMayReturn` (a cluster), a read of a generation the family left that
    /// holds at least what was relayed makes that generation the family's again: its slot came
    /// back to that node.
    mutating func read(_ current: FamilyVersion, generationsMayReturn: Bool = false) -> Change {
        if let generation = current.generation, left.contains(generation) {
            guard generationsMayReturn, let known, current.epoch == known.epoch, current.version >= known.version else { return .none }
            left.removeAll { $0 == generation }
        }
        guard let known else {
            self.known = current
            return .none
        }
        if current.epoch != known.epoch { return adopt(current, change: .reset) }
        if current.generation != known.generation {
            return adopt(current, change: current.version < known.version ? .reset : .newHistory)
        }
        guard current.version > known.version else { return .none }
        self.known = current
        return .ahead
    }

    /// An event of the content queue. Returns `nil` for one from a generation the family has
    /// left (a master that was replaced, heard late): it is dropped, never relayed.
    mutating func heard(epoch: String?, generation: RedisGeneration?, version: Int) -> Change? {
        if let generation, left.contains(generation) { return nil }
        guard let epoch = epoch ?? known?.epoch else { return Change.none }
        let current = FamilyVersion(epoch: epoch, generation: generation ?? known?.generation, version: version)
        defer { heard = version }
        guard let known else {
            self.known = current
            return Change.none
        }
        if epoch != known.epoch { return adopt(current, change: .reset) }
        // An event that names no generation (another service's, heard through a node of
        // another shard) is taken to be of the history known.
        if let generation, generation != known.generation {
            // A new history that does not go past what was relayed reissues its version numbers.
            return adopt(current, change: version <= known.version ? .reset : .newHistory)
        }
        if let heard, version < heard { return adopt(current, change: .reset) }
        self.known?.version = max(known.version, version)
        return Change.none
    }

    private mutating func adopt(_ current: FamilyVersion, change: Change) -> Change {
        if let old = known?.generation, old != current.generation {
            left.removeAll { $0 == old }
            left.append(old)
            if left.count > Self.leftLimit { left.removeFirst() }
            heard = nil
        }
        known = current
        return change
    }
}
