import NIOCore

/// The protocol side of one Redis connection, in its channel pipeline: requests go out encoded,
/// replies come back parsed by hiredis's reader and fulfil the requests' promises in order.
///
/// Commands of many requests share the connection (pipelining): each request's bytes are
/// written as they come, as one unit (so a MULTI … EXEC block is never interleaved with
/// another request), and one flush goes out for all requests that arrived together. Replies
/// come back in the order the commands were written, so a FIFO of promises matches them.
///
/// hiredis has no timers: the oldest waiting request has a deadline on the event loop. Past it,
/// or when the connection fails, every waiting request fails and the connection is closed,
/// since what arrives later could no longer be matched to its request.
final class RedisCommandHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer

    private struct Pending {
        let request: RedisRequest
        var replies: [RedisValue] = []
        /// The bytes reached the socket; Redis may have run the commands even if no reply comes.
        var written = false
        let deadline: NIODeadline
    }

    private let reader = RESPReader()
    private let commandTimeout: TimeAmount
    /// On a subscription connection, where pushed messages go (on the event loop); everything
    /// else, subscribe confirmations included, answers requests in order.
    private let onPush: (@Sendable (RedisPubSubMessage) -> Void)?
    private var pending = CircularBuffer<Pending>()
    private var timer: Scheduled<Void>?
    private var flushScheduled = false
    private var failure: RedisError?
    private var context: ChannelHandlerContext?
    /// A number per request, so that a write's completion finds its request after others left the queue.
    private var nextSequence: UInt64 = 0
    private var firstSequence: UInt64 = 0

    init(commandTimeout: TimeAmount, onPush: (@Sendable (RedisPubSubMessage) -> Void)? = nil) {
        self.commandTimeout = commandTimeout
        self.onPush = onPush
    }

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        fail(RedisError(.io, "the connection's handler was removed"))
        self.context = nil
    }

    // MARK: Requests, on the event loop

    /// Writes `request`'s commands and waits for as many replies. Fails at once when the
    /// connection has already failed.
    func enqueue(_ request: RedisRequest) {
        guard failure == nil, let context, context.channel.isActive else {
            request.promise.fail(failure ?? RedisError(.io, "the connection is closed", retryable: true))
            return
        }
        let sequence = nextSequence
        nextSequence += 1
        pending.append(Pending(request: request, deadline: .now() + commandTimeout))
        if pending.count == 1 { armTimer() }
        let written = context.eventLoop.makePromise(of: Void.self)
        written.futureResult.whenSuccess { [self] in markWritten(sequence) }
        context.write(NIOAny(IOData.byteBuffer(request.bytes)), promise: written)
        guard !flushScheduled else { return }
        // Requests that arrive in the same turn of the loop leave in one flush: the flush runs
        // after the tasks already queued, which are the other requests that came together.
        flushScheduled = true
        context.eventLoop.execute { [self] in
            flushScheduled = false
            self.context?.flush()
        }
    }

    private func markWritten(_ sequence: UInt64) {
        guard sequence >= firstSequence else { return }
        let index = Int(sequence - firstSequence)
        if index < pending.count { pending[pending.index(pending.startIndex, offsetBy: index)].written = true }
    }

    // MARK: Replies

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        do {
            try reader.feed(unwrapInboundIn(data))
            while let reply = try reader.next() {
                if let onPush, let message = RedisPubSubMessage(reply) {
                    onPush(message)
                    continue
                }
                if let onPush, let channel = RedisPubSubMessage.shardUnsubscribed(reply),
                    pending.first?.request.unsubscribesShardChannels != true
                {
                    onPush(RedisPubSubMessage(channel: channel, kind: .shardChannelClosed, payload: []))
                    continue
                }
                guard !pending.isEmpty else {
                    throw RedisError(.protocolError, "a reply arrived that no request was waiting for")
                }
                let index = pending.startIndex
                pending[index].replies.append(reply)
                // The request has everything once its last command's reply is in.
                guard pending[index].replies.count == pending[index].request.replyCount else { continue }
                let done = pending.removeFirst()
                firstSequence += 1
                armTimer()
                done.request.promise.succeed(done.replies)
            }
        } catch {
            fail(error as? RedisError ?? RedisError(.protocolError, "\(error)"))
            context.close(promise: nil)
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        fail(RedisError(.io, "connection lost"))
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        fail(RedisError(.io, "connection failed: \(error)"))
        context.close(promise: nil)
    }

    // MARK: Failure and the deadline

    private func armTimer() {
        timer?.cancel()
        timer = nil
        guard let head = pending.first, let context else { return }
        timer = context.eventLoop.scheduleTask(deadline: head.deadline) { [self] in
            fail(RedisError(.timeout, "no reply within \(commandTimeout)"))
            self.context?.close(promise: nil)
        }
    }

    /// Fails every waiting request; the connection is not used again. A request whose bytes never
    /// reached the socket ran nowhere, so it may be retried on another connection.
    private func fail(_ error: RedisError) {
        if failure == nil { failure = error }
        timer?.cancel()
        timer = nil
        let failed = pending
        pending.removeAll()
        firstSequence = nextSequence
        for entry in failed {
            entry.request.promise.fail(entry.written || !entry.replies.isEmpty ? error : error.retryable())
        }
    }
}
