import Foundation

/// The kernel's count of connects dropped because a listen queue was full (TcpExt ListenOverflows).
///
/// A dropped SYN is retried after 1 s, so any overflow during a connect phase puts whole
/// seconds into connect and catch-up times: an artefact of the load's shape, not of the server's
/// per-stream work. Machine-wide, so other processes' connects count too.
enum ListenOverflows {
    static func read() -> Int? {
        guard let text = try? String(contentsOfFile: "/proc/net/netstat", encoding: .utf8) else { return nil }
        let lines = text.split(separator: "\n").filter { $0.hasPrefix("TcpExt:") }
        guard lines.count == 2 else { return nil }
        let names = lines[0].split(separator: " ")
        let values = lines[1].split(separator: " ")
        guard let index = names.firstIndex(of: "ListenOverflows"), index < values.count else { return nil }
        return Int(values[index])
    }

    /// Overflows since `start`, if both reads worked.
    static func since(_ start: Int?) -> Int? {
        guard let start, let now = read() else { return nil }
        return now - start
    }
}
