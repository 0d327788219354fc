/// A Redis Cluster hash slot: which of the 16,384 slots a key (or a shard channel) lives in.
///
/// The cluster specification's rule: CRC16 (XMODEM) of the key modulo 16384, where a key with a
/// hash tag (the bytes between the first `{` and the first `}` after it, when there are any)
/// hashes the tag alone, so that `content:{F}:1` and `contentQueue:{F}:version` share a slot.
public struct RedisSlot: Sendable, Hashable, Comparable, CustomStringConvertible {
    /// Slots in a cluster.
    public static let count = 16_384

    /// 0 to 16383.
    public let rawValue: Int

    /// The slot of `key`.
    public init(key: some StringProtocol) {
        self.init(keyBytes: Array(key.utf8))
    }

    /// The slot of a key given as bytes.
    public init(keyBytes key: [UInt8]) {
        var hashed = key[...]
        if let open = key.firstIndex(of: UInt8(ascii: "{")),
            let close = key[(open + 1)...].firstIndex(of: UInt8(ascii: "}")), close > open + 1
        {
            hashed = key[(open + 1)..<close]
        }
        rawValue = Int(Self.crc16(hashed) % UInt16(Self.count))
    }

    /// A slot number; nil outside 0-16383.
    public init?(_ rawValue: Int) {
        guard (0..<Self.count).contains(rawValue) else { return nil }
        self.rawValue = rawValue
    }

    public var description: String { "\(rawValue)" }

    public static func < (lhs: RedisSlot, rhs: RedisSlot) -> Bool { lhs.rawValue < rhs.rawValue }

    /// CRC-16/XMODEM (polynomial 0x1021, initial 0), bit by bit: keys are short, and the slot of
    /// a family is computed once per request.
    static func crc16(_ bytes: ArraySlice<UInt8>) -> UInt16 {
        var crc: UInt16 = 0
        for byte in bytes {
            crc ^= UInt16(byte) << 8
            for _ in 0..<8 {
                crc = crc & 0x8000 != 0 ? (crc << 1) ^ 0x1021 : crc << 1
            }
        }
        return crc
    }
}
