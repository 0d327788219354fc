import FlimmerTestSupport
import Foundation
import Testing

/// The cluster fixture against real redis-server processes, and with it the repository's
/// cluster configuration (redis/cluster.conf, the ACL users) and scripts/lib.sh's
/// cluster_create. One topology at a time (``TopologyTicket``): each is six processes that
/// flag a node failing after 2 s without an answer, which a crowded machine must not cause by
/// itself.
@Suite("ClusterGroup", .serialized)
struct ClusterGroupTests {
    @Test func aClusterStartsWithThreeMastersEachWithAReplicaAndEverySlot() async throws {
        let group = try await ClusterGroup()
        #expect(group.ports.count == 6)
        let masters = try group.masterPorts()
        // redis-cli --cluster create makes the first ports given the masters.
        #expect(masters == group.ports.prefix(3).sorted())
        let nodes = try group.nodes()
        #expect(nodes.map(\.port).sorted() == group.ports.sorted())
        #expect(nodes.filter(\.isMaster).flatMap(\.slots).reduce(0) { $0 + $1.count } == ClusterGroup.slotCount)
        for master in masters {
            let replicas = try group.replicaPorts(of: master)
            #expect(replicas.count == 1, "replicas of \(master): \(replicas)")
            for replica in replicas {
                let replication = try group.info("replication", of: replica)
                #expect(replication["role"] == "slave")
                #expect(replication["master_port"] == "\(master)")
                #expect(replication["master_link_status"] == "up")
            }
        }
        for port in group.ports {
            #expect(try group.fields(["CLUSTER", "INFO"], of: port)["cluster_state"] == "ok")
            // clusteradmin made the cluster, the replicas synced as replicator: no refusal anywhere.
            #expect(try group.command(["ACL", "LOG"], on: port) == "", "ACL LOG of \(port)")
        }
        let password = try group.password(ofACLUser: "flimmer")
        #expect(group.gatewayCredentials == .init(user: "flimmer", password: password))
        #expect(
            try group.seedURL(aclUser: "flimmer")
                == "redis+cluster://flimmer:\(password)@" + group.ports.map { "127.0.0.1:\($0)" }.joined(separator: ",")
        )
        #expect(group.seedURL(user: nil, password: nil).hasPrefix("redis+cluster://127.0.0.1:"))
    }

    /// The fixture's slot map is the one the nodes redirect by: a key written with redis-cli -c
    /// lands on the master masterPort(forKey:) names, which answers it without a redirection,
    /// while every other master answers MOVED to it.
    @Test func masterPortForAKeyIsWhereRedisCLIPutsIt() async throws {
        let group = try await ClusterGroup()
        for family in ["f1", "demo", "family-42"] {
            let key = "contentQueue:{\(family)}:version"
            let owner = try group.masterPort(forKey: key)
            let slot = try group.slot(ofKey: key)
            #expect(try group.slot(ofKey: "{\(family)}") == slot, "a family's keys share its hash tag's slot")
            #expect(try group.port(ofSlot: slot) == owner)
            let entry = group.ports.first { $0 != owner }!
            #expect(try group.command(["SET", key, family], on: entry, followingRedirects: true) == "OK")
            #expect(try group.command(["GET", key], on: owner) == family)
            #expect(try group.command(["CLUSTER", "COUNTKEYSINSLOT", "\(slot)"], on: owner) == "1")
            for other in try group.masterPorts() where other != owner {
                #expect(try group.command(["GET", key], on: other) == "MOVED \(slot) 127.0.0.1:\(owner)")
            }
        }
    }

    /// What the gateway and an operator send on a cluster, as their ACL users: the slot map,
    /// ASKING, sharded pub/sub on a family's shard channel; and still nothing more.
    @Test func theGatewayAndOperatorUsersMaySendWhatAClusterClientSends() async throws {
        let group = try await ClusterGroup()
        let gateway = group.gatewayCredentials
        let operatorUser = ClusterGroup.Credentials(user: "operator", password: try group.password(ofACLUser: "operator"))
        let owner = try group.masterPort(forKey: "{f1}")
        for command in [["CLUSTER", "SLOTS"], ["CLUSTER", "SHARDS"], ["CLUSTER", "INFO"], ["CLUSTER", "MYID"], ["ASKING"], ["READONLY"]] {
            #expect(try group.command(command, on: owner, as: gateway).hasPrefix("NOPERM") == false, "\(command)")
        }
        #expect(try group.command(["SPUBLISH", "invalidate:{f1}", "{}"], on: owner, as: gateway) == "0")
        #expect(try group.command(["SET", "contentQueue:{f1}:version", "1"], on: owner, as: gateway) == "OK")
        for command in [["CLUSTER", "NODES"], ["CLUSTER", "FAILOVER"], ["CLUSTER", "SETSLOT", "1", "STABLE"], ["SPUBLISH", "other:{f1}", "x"]] {
            #expect(try group.command(command, on: owner, as: gateway).hasPrefix("NOPERM"), "\(command)")
        }
        for command in [["CLUSTER", "NODES"], ["CLUSTER", "SHARDS"], ["CLUSTER", "KEYSLOT", "{f1}"], ["CLUSTER", "COUNTKEYSINSLOT", "1"]] {
            #expect(try group.command(command, on: owner, as: operatorUser).hasPrefix("NOPERM") == false, "\(command)")
        }
        #expect(try group.command(["GET", "contentQueue:{f1}:version"], on: owner, as: operatorUser) == "1")
        for command in [["SET", "contentQueue:{f1}:version", "2"], ["CLUSTER", "SETSLOT", "1", "STABLE"], ["SPUBLISH", "invalidate:{f1}", "x"]] {
            #expect(try group.command(command, on: owner, as: operatorUser).hasPrefix("NOPERM"), "\(command)")
        }
    }

    /// A live migration of a family's slot: while half done, the source sends a moved key on
    /// with ASK and redis-cli -c still reads both; once done, the data is on the target and the
    /// old owner answers MOVED.
    @Test func aSlotMigrationMovesTheKeysAndTheOldOwnerAnswersMoved() async throws {
        let group = try await ClusterGroup()
        let keys = ["contentQueue:{f1}:version", "epoch:{f1}"]
        let source = try group.masterPort(forKey: keys[0])
        let slot = try group.slot(ofKey: keys[0])
        let target = try group.masterPorts().first { $0 != source }!
        for key in keys { #expect(try group.command(["SET", key, key], on: source) == "OK") }

        try group.beginMigration(slot: slot, from: source, to: target)
        #expect(try group.moveKeys(ofSlot: slot, from: source, to: target, limit: 1) == 1)
        let moved = try group.command(["CLUSTER", "GETKEYSINSLOT", "\(slot)", "10"], on: target)
        let stayed = keys.first { $0 != moved }!
        #expect(keys.contains(moved))
        #expect(try group.command(["GET", stayed], on: source) == stayed)
        #expect(try group.command(["GET", moved], on: source) == "ASK \(slot) 127.0.0.1:\(target)")
        #expect(try group.command(["GET", moved], on: target) == "MOVED \(slot) 127.0.0.1:\(source)")
        #expect(try group.port(ofSlot: slot) == source, "the slot is the source's until the migration is finished")
        for key in keys {
            #expect(try group.command(["GET", key], on: group.ports.last!, followingRedirects: true) == key)
        }

        try await group.finishMigration(slot: slot, from: source, to: target)
        #expect(try group.masterPort(forKey: keys[0]) == target)
        for key in keys {
            #expect(try group.command(["GET", key], on: target) == key)
            #expect(try group.command(["GET", key], on: source) == "MOVED \(slot) 127.0.0.1:\(target)")
        }
        #expect(try group.command(["CLUSTER", "COUNTKEYSINSLOT", "\(slot)"], on: source) == "0")

        // And back in one go.
        try await group.migrate(slot: slot, to: source)
        #expect(try group.masterPort(forKey: keys[0]) == source)
        #expect(try group.command(["GET", keys[1]], on: source) == keys[1])
    }

    /// A crashed master's replica takes over its slots (cluster-node-timeout 2000: a few
    /// seconds), with the data it had; the old master restarted rejoins as the new one's replica.
    @Test func killingAMasterMakesItsReplicaTakeOverAndItComesBackAsAReplica() async throws {
        let group = try await ClusterGroup()
        let key = "contentQueue:{f1}:version"
        let old = try group.masterPort(forKey: key)
        let replica = try #require(try group.replicaPorts(of: old).first)
        #expect(try group.command(["SET", key, "7"], on: old) == "OK")
        #expect(try group.command(["WAIT", "1", "5000"], on: old) == "1")

        let killed = ContinuousClock.now
        try group.kill9(port: old)
        let masters = try await group.waitUntilSettled()
        let took = ContinuousClock.now - killed
        #expect(masters.count == 3)
        #expect(!masters.contains(old))
        #expect(try group.masterPort(forKey: key) == replica)
        #expect(try group.role(of: replica) == "master")
        #expect(try group.command(["GET", key], on: replica) == "7")
        #expect(try group.command(["SET", key, "8"], on: replica) == "OK")
        // 2 s to be flagged failing, the election after a short random delay: about 3-4 s here.
        #expect(took < .seconds(15), "the failover took \(took)")

        try group.restart(port: old)
        try await group.waitUntilSettled()
        #expect(try group.role(of: old) == "slave")
        #expect(try group.info("replication", of: old)["master_port"] == "\(replica)")
        #expect(try group.replicaPorts(of: replica) == [old])
        // The write made after the failover reached the old master (a replica answers reads
        // only after READONLY on the same connection, which redis-cli cannot send first).
        #expect(try group.command(["WAIT", "1", "5000"], on: replica) == "1")
        for port in group.ports {
            #expect(try group.command(["ACL", "LOG"], on: port) == "", "ACL LOG of \(port)")
        }
    }

    /// CLUSTER FAILOVER on a replica swaps it with its master without losing a write.
    @Test func aManualFailoverSwapsAReplicaWithItsMaster() async throws {
        let group = try await ClusterGroup()
        let key = "epoch:{f2}"
        let master = try group.masterPort(forKey: key)
        let replica = try #require(try group.replicaPorts(of: master).first)
        #expect(try group.command(["SET", key, "e1"], on: master) == "OK")
        try await group.failover(replicaPort: replica)
        try await group.waitUntilSettled()
        #expect(try group.masterPort(forKey: key) == replica)
        #expect(try group.replicaPorts(of: replica) == [master])
        #expect(try group.command(["GET", key], on: replica) == "e1")
    }
}
