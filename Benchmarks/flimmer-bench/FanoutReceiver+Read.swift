import Foundation
import Glibc

/// The read path: one recvmsg, its kernel timestamp, the response head, then the marker search.
extension FanoutReceiver {
    private static let versionMarker = Array(#""version":"#.utf8)
    private static let idMarker = Array("\nid: ".utf8)
    /// Bytes kept after a read when no marker is cut off: longer than `"version":` plus any
    /// realistic number, so a marker split at any point is found on the next read.
    private static let tailKept = 40

    func readOnce(_ index: Int) {
        let fd = streams[index].fd
        let body = buffer + Self.carryRoom
        var vector = iovec(iov_base: UnsafeMutableRawPointer(body), iov_len: Self.readSize)
        var message = msghdr()
        let count = withUnsafeMutablePointer(to: &vector) { vectorPointer in
            message.msg_iov = vectorPointer
            message.msg_iovlen = 1
            message.msg_control = control
            message.msg_controllen = 128
            return recvmsg(fd, &message, 0)
        }
        if count < 0 {
            if errno == EAGAIN || errno == EINTR { return }
            return lost(index, "read errno \(errno)")
        }
        if count == 0 { return lost(index, "closed by server") }
        // Right after the first socket enables timestamps the kernel turns them on asynchronously,
        // so the first reads (response heads) may have none; only deliveries without one are counted.
        let stamp = Self.timestamp(control, length: Int(message.msg_controllen))
        let readAt = Realtime.now()
        let received = stamp ?? readAt
        var length = count
        if streams[index].phase == .awaitingHead {
            guard let bodyLength = acceptHead(index, count: count) else { return }
            length = bodyLength
        }
        if streams[index].chunked {
            length = streams[index].chunk.decode(body, count: length)
        }
        let deliveredBefore = streams[index].delivered
        scan(index, length: length, at: received, stamped: stamp != nil)
        // How late this thread read data the kernel already had: a growing lag means the load
        // tool, not the server, is behind (and its full receive buffers push back on the server).
        if streams[index].delivered != deliveredBefore, stamp != nil { readLag.record(readAt - received) }
    }

    /// The kernel receive time from an SCM_TIMESTAMPNS control message, parsed by hand: on
    /// 64-bit Linux a cmsghdr is 16 bytes (size_t len, int level, int type) and the timespec follows.
    ///
    /// For TCP it is the arrival time of the last segment the read consumed, so when one read
    /// returns several events the earlier ones are charged up to the gap between their segments.
    static func timestamp(_ control: UnsafeMutableRawPointer, length: Int) -> Int64? {
        var offset = 0
        while offset + 32 <= length {
            let cmsgLength = Int(control.load(fromByteOffset: offset, as: UInt64.self))
            let level = control.load(fromByteOffset: offset + 8, as: Int32.self)
            let type = control.load(fromByteOffset: offset + 12, as: Int32.self)
            if level == SOL_SOCKET, type == 35 {
                let seconds = control.load(fromByteOffset: offset + 16, as: Int64.self)
                let nanoseconds = control.load(fromByteOffset: offset + 24, as: Int64.self)
                return seconds * 1_000_000_000 + nanoseconds
            }
            guard cmsgLength >= 16 else { return nil }
            offset += (cmsgLength + 7) & ~7
        }
        return nil
    }

    /// A stream that had been accepted ended, or one that had not failed.
    private func lost(_ index: Int, _ reason: String) {
        switch streams[index].phase {
        case .connecting, .awaitingHead:
            fail(index, reason)
        default:
            streams[index].closedByServer = true
            counters.closedByServer += 1
            end(index)
        }
    }

    /// Collects the response head; once complete and `200`, accepts the stream and moves any body
    /// bytes that came with it to the front of the read buffer. Returns their count, or nil while
    /// the head is incomplete or when the stream failed.
    private func acceptHead(_ index: Int, count: Int) -> Int? {
        let body = buffer + Self.carryRoom
        guard plan.http else {
            // Redis: the first bytes are the subscribe reply (an array); an error (say, maxclients) fails the stream.
            guard body[0] == UInt8(ascii: "*") else {
                fail(
                    index,
                    "redis: \(String(decoding: UnsafeBufferPointer(start: body, count: Swift.min(count, 60)), as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines))"
                )
                return nil
            }
            accept(index)
            return count
        }
        streams[index].head += UnsafeBufferPointer(start: body, count: count)
        guard let end = HTTPHead.end(of: streams[index].head) else {
            if streams[index].head.count > 16 * 1024 { fail(index, "response head too long") }
            return nil
        }
        let head = HTTPHead(streams[index].head[..<end])
        guard head.status == 200 else {
            fail(index, "status \(head.status)")
            return nil
        }
        let rest = streams[index].head[end...]
        if !rest.isEmpty { rest.withUnsafeBufferPointer { body.update(from: $0.baseAddress!, count: $0.count) } }
        streams[index].chunked = head.chunked
        streams[index].head = []
        accept(index)
        return rest.count
    }

    private func accept(_ index: Int) {
        streams[index].phase = .streaming
        inFlight -= 1
        connected.add(1, ordering: .relaxed)
    }

    /// Finds every `"version":<digits>` (and, when recording ids, every `id:` line) in the
    /// carried tail of the previous read plus `length` new bytes, and keeps a new tail.
    private func scan(_ index: Int, length: Int, at received: Int64, stamped: Bool) {
        let carried = streams[index].carryLength
        let start = buffer + Self.carryRoom - carried
        let carry = carryPool + index * Self.carryRoom
        if carried > 0 { start.update(from: carry, count: carried) }
        let total = carried + length
        var consumed = 0
        var incomplete = total
        var position = 0
        while let markerStart = Self.find(Self.versionMarker, in: start, from: position, to: total) {
            var cursor = markerStart + Self.versionMarker.count
            var value = 0
            while cursor < total, start[cursor] >= 48, start[cursor] <= 57 {
                value = value &* 10 &+ Int(start[cursor] - 48)
                cursor += 1
            }
            if cursor == total {
                // The number may go on in the next read.
                incomplete = markerStart
                break
            }
            if cursor == markerStart + Self.versionMarker.count {
                counters.parseMisses += 1
            } else {
                deliver(index, version: value, at: received)
                if !stamped { counters.untimestamped += 1 }
            }
            consumed = cursor
            position = cursor
        }
        if plan.recordIDs { incomplete = Swift.min(incomplete, scanIDs(index, start: start, total: total, consumed: &consumed)) }
        var keepFrom = incomplete < total ? incomplete : Swift.max(consumed, total - Self.tailKept)
        keepFrom = Swift.max(keepFrom, total - Self.carryRoom, 0)
        let kept = total - keepFrom
        if kept > 0 { carry.update(from: start + keepFrom, count: kept) }
        streams[index].carryLength = kept
    }

    /// Records the value of each complete `id:` line; returns where an unfinished one starts (or `total`).
    private func scanIDs(_ index: Int, start: UnsafeMutablePointer<UInt8>, total: Int, consumed: inout Int) -> Int {
        var position = 0
        while let markerStart = Self.find(Self.idMarker, in: start, from: position, to: total) {
            let valueStart = markerStart + Self.idMarker.count
            guard let newline = memchr(start + valueStart, 10, total - valueStart) else { return markerStart }
            let valueEnd = UnsafeMutablePointer<UInt8>(newline.assumingMemoryBound(to: UInt8.self)) - start
            streams[index].lastID = Array(UnsafeBufferPointer(start: start + valueStart, count: valueEnd - valueStart))
            consumed = Swift.max(consumed, valueEnd)
            position = valueEnd
        }
        return total
    }

    /// The offset of the first `needle` in `bytes[from..<to]`: memchr for its first byte, then memcmp.
    /// (Glibc's memmem needs _GNU_SOURCE, which the Swift Glibc module is not built with.)
    static func find(_ needle: [UInt8], in bytes: UnsafeMutablePointer<UInt8>, from: Int, to: Int) -> Int? {
        var position = from
        let last = to - needle.count
        while position <= last {
            guard let hit = memchr(bytes + position, Int32(needle[0]), last + 1 - position) else { return nil }
            let offset = UnsafeMutablePointer<UInt8>(hit.assumingMemoryBound(to: UInt8.self)) - bytes
            if memcmp(bytes + offset, needle, needle.count) == 0 { return offset }
            position = offset + 1
        }
        return nil
    }

    private func deliver(_ index: Int, version: Int, at received: Int64) {
        guard version > streams[index].lastSeq else {
            counters.duplicates += 1
            return
        }
        streams[index].lastSeq = version
        let events = streams[index].events
        if version <= events.final {
            streams[index].delivered += 1
            let event = events.event(version)
            eventCounts[event] += 1
            if received > lastArrival[event] { lastArrival[event] = received }
            let sent = sendTimes[event]
            if sent > 0 {
                var phase = 0
                while phase < plan.phaseStarts.count, event >= plan.phaseStarts[phase] { phase += 1 }
                phaseHistograms[phase].record(received - sent)
            }
        } else {
            counters.beyondFinal += 1
        }
        if version >= events.final { settle(index) }
    }
}
