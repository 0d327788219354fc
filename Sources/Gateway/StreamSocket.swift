import NIOCore

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The socket of a close-delimited stream, written to directly while NIO holds nothing for it.
///
/// Why: a frame's trip down a NIO channel (the pipeline, the pending-writes queue, the flush) cost
/// about 2 µs of user-space CPU per stream per event, twice what the kernel's part leaves to Redis
/// for the same delivery (profiled; see docs/benchmarks.md, "CPU per delivery against the floor").
/// One non-blocking `send(2)` of the shared frame costs the syscall alone.
///
/// It is only sound under the rules ``SSEStreamHandler`` keeps: it is used on the channel's event
/// loop only, while the channel is open (NIO closes the descriptor on that loop and tells the
/// handler in the same call), and only while no write of the stream's is still queued in NIO, so
/// bytes never overtake each other. Whatever the kernel does not take at once goes through NIO,
/// which then owns the stream's writes (and its backpressure and errors) until its queue is empty.
struct StreamSocket {
    /// What a direct write did.
    enum Outcome: Equatable {
        /// The kernel took every byte.
        case sent
        /// The kernel took this many bytes (possibly none); the rest must go through NIO.
        case partly(Int)
    }

    let descriptor: NIOBSDSocket.Handle

    /// The socket of `pipeline`'s channel, if it has one (an `EmbeddedChannel` has not).
    init?(of pipeline: ChannelPipeline.SynchronousOperations) {
        guard
            let handle = try? pipeline.withUnsafeTransportIfAvailable(of: NIOBSDSocket.Handle.self, { $0 }),
            handle >= 0
        else { return nil }
        descriptor = handle
    }

    /// Sends what `frame` holds without blocking. Errors (a reset, a closed peer) are not handled
    /// here: the caller hands the unsent bytes to NIO, which meets the same error and closes the
    /// channel its usual way.
    func send(_ frame: ByteBuffer) -> Outcome {
        let result = frame.withUnsafeReadableBytes { bytes -> Int in
            #if canImport(Glibc)
            Glibc.send(descriptor, bytes.baseAddress, bytes.count, Int32(MSG_NOSIGNAL | MSG_DONTWAIT))
            #else
            Darwin.send(descriptor, bytes.baseAddress, bytes.count, MSG_DONTWAIT)
            #endif
        }
        if result == frame.readableBytes { return .sent }
        return .partly(max(0, result))
    }
}
