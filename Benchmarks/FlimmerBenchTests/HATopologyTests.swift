import Foundation
import Testing

@testable import flimmer_bench

/// The chaos run's view of a topology folder that scripts/lib.sh's start_ha made.
@Suite("Chaos: Sentinel topology folder")
struct HATopologyTests {
    @Test func aNodesPortIsTheLastPortLineOfItsConfiguration() {
        let text = "# port 1\nport 6379\nappendonly yes\n# This node\nport 17001\nreplicaof 127.0.0.1 17000\n"
        #expect(HATopology.port(inConfiguration: text) == 17001)
        #expect(HATopology.port(inConfiguration: "bind 127.0.0.1\n") == nil)
        #expect(HATopology.port(inConfiguration: "port x\n") == nil)
    }

    @Test func nodeFoldersComeInTheirNumbersOrderWithoutSentinelsOrOthers() {
        let names = ["node-10", "sentinel-1", "node-2", "acl", "node-1", "master-name", "node-x"]
        #expect(HATopology.nodeFolders(names) == ["node-1", "node-2", "node-10"])
    }

    @Test func theMasterSwitchesAreCountedFromASentinelsLog() {
        let log = """
            4613:X 02 Dec 2026 08:13:41.889 # +new-epoch 1
            4613:X 02 Dec 2026 08:13:42.996 # +switch-master flimmersync 127.0.0.1 12777 127.0.0.1 64397
            4613:X 02 Dec 2026 08:13:46.294 # +switch-master flimmersync 127.0.0.1 64397 127.0.0.1 21561
            4613:X 02 Dec 2026 08:13:56.330 * +convert-to-slave slave 127.0.0.1:12777 127.0.0.1 12777 @ flimmersync 127.0.0.1 21561
            """
        #expect(HATopology.switches(inLog: log) == 2)
        #expect(HATopology.switches(inLog: "") == 0)
    }

    @Test func theNodesAreReadFromTheFolder() throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("chaos-ha-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: root) }
        for (name, port) in [("node-1", 17000), ("node-2", 17001), ("sentinel-1", 26000)] {
            try FileManager.default.createDirectory(atPath: root + "/" + name, withIntermediateDirectories: true)
            let file = name.hasPrefix("node") ? "redis.conf" : "sentinel.conf"
            try "port \(port)\n".write(toFile: root + "/" + name + "/" + file, atomically: true, encoding: .utf8)
        }
        try FileManager.default.createDirectory(atPath: root + "/node-3", withIntermediateDirectories: true)
        let topology = HATopology(directory: root, library: "/nonexistent")
        #expect(topology.nodes().map(\.port) == [17000, 17001], "node-3 names no port yet")
        #expect(topology.nodes().map(\.name) == ["node-1", "node-2"])
        #expect(topology.nodes().first.map { topology.pid(of: $0) } == .some(nil), "no redis.pid: not running")
        #expect(topology.sentinelPorts() == [26000])
        try "flimmersync\n".write(toFile: root + "/master-name", atomically: true, encoding: .utf8)
        #expect(topology.masterName == "flimmersync")
    }

    @Test func aSentinelsAnswerIsReadWholeAndItsPortTaken() {
        let answer = Array("*2\r\n$9\r\n127.0.0.1\r\n$5\r\n20964\r\n".utf8)
        #expect(SentinelProbe.replyLength(Array(answer.prefix(12))) == nil, "incomplete")
        #expect(SentinelProbe.replyLength(answer + Array("*2".utf8)) == answer.count)
        #expect(SentinelProbe.port(fromReply: answer) == 20964)
        let none = Array("*-1\r\n".utf8)
        #expect(SentinelProbe.replyLength(none) == none.count)
        #expect(SentinelProbe.port(fromReply: none) == nil)
        #expect(SentinelProbe.port(fromReply: Array("-ERR unknown\r\n".utf8)) == nil)
    }

    @Test func aSentinelThatDoesNotRunNamesNothing() throws {
        #expect(SentinelProbe.masterPort(sentinel: try ScriptedSSEServer.refusedPort(), name: "flimmersync") == nil)
    }
}
