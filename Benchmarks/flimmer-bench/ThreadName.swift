import Foundation

/// Names the calling thread, so the receiver and publisher show up in `top -H` and `perf`.
///
/// Through /proc/thread-self/comm: pthread_setname_np needs _GNU_SOURCE, which the Swift Glibc
/// module is not built with, and Foundation's Thread.name does not reach the kernel on Linux.
enum ThreadName {
    static func set(_ name: String) {
        // The kernel keeps 15 bytes; a longer name is refused, not cut.
        try? String(name.prefix(15)).write(toFile: "/proc/thread-self/comm", atomically: false, encoding: .utf8)
    }
}
