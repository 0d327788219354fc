import Glibc

/// The CLOCK_REALTIME send time of each event (index = event number), shared by publisher and receiver.
///
/// A plain buffer instead of atomics: the publisher stores a send time before the write(2)
/// that publishes the event, and the receiver reads it after a recvmsg(2) that returned the
/// event, so the two system calls order the store before the load. The scale run's receivers are
/// other processes: there the buffer is a shared mapping of one file, and the same order holds.
final class SendTimes: @unchecked Sendable {
    private let times: UnsafeMutablePointer<Int64>
    private let mapped: Bool
    let count: Int

    /// Room for events 0...`last`, all unset (0), in this process.
    init(last: Int) {
        count = last + 1
        mapped = false
        times = .allocate(capacity: count)
        times.initialize(repeating: 0, count: count)
    }

    /// Room for events 0...`last` in the file at `path`, mapped shared: the publishing process
    /// creates it (zeroed), the receiving processes map the same file.
    init(sharedFile path: String, last: Int, create: Bool) throws {
        count = last + 1
        mapped = true
        let bytes = count * MemoryLayout<Int64>.stride
        let fd = open(path, create ? O_RDWR | O_CREAT | O_TRUNC : O_RDWR, 0o600)
        guard fd >= 0 else { throw BlockingSocket.Failure(description: "open \(path): errno \(errno)") }
        defer { close(fd) }
        if create, ftruncate(fd, off_t(bytes)) != 0 { throw BlockingSocket.Failure(description: "ftruncate \(path): errno \(errno)") }
        guard let base = mmap(nil, bytes, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0), base != MAP_FAILED else {
            throw BlockingSocket.Failure(description: "mmap \(path): errno \(errno)")
        }
        times = base.bindMemory(to: Int64.self, capacity: count)
    }

    deinit {
        if mapped {
            munmap(times, count * MemoryLayout<Int64>.stride)
        } else {
            times.deallocate()
        }
    }

    subscript(event: Int) -> Int64 {
        get { event >= 0 && event < count ? times[event] : 0 }
        set { if event >= 0 && event < count { times[event] = newValue } }
    }
}
