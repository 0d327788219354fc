/// The JSON every target publishes: the gateway's channel contract plus padding.
enum BenchPayload {
    /// `{"key":"contentQueue","family":"F","version":V,"reason":"bench","pad":"xxx…"}`, padded to `bytes` when it is shorter.
    static func make(family: String, version: Int, bytes: Int) -> [UInt8] {
        let head = #"{"key":"contentQueue","family":"\#(family)","version":\#(version),"reason":"bench","pad":""#
        let tail = #""}"#
        let pad = Swift.max(0, bytes - head.utf8.count - tail.utf8.count)
        return Array(head.utf8) + [UInt8](repeating: UInt8(ascii: "x"), count: pad) + Array(tail.utf8)
    }
}
