/// The CLOCK_REALTIME send time of each event (index = version), shared by publisher and receiver.
///
/// A plain buffer instead of atomics: the publisher stores a send time before the write(2)
/// that publishes the event, and the receiver reads it after a recvmsg(2) that returned the
/// event, so the two system calls order the store before the load.
final class SendTimes: @unchecked Sendable {
    private let times: UnsafeMutablePointer<Int64>
    let count: Int

    /// Room for versions 0...`last`, all unset (0).
    init(last: Int) {
        count = last + 1
        times = .allocate(capacity: count)
        times.initialize(repeating: 0, count: count)
    }

    deinit { times.deallocate() }

    subscript(version: Int) -> Int64 {
        get { version >= 0 && version < count ? times[version] : 0 }
        set { if version >= 0 && version < count { times[version] = newValue } }
    }
}
