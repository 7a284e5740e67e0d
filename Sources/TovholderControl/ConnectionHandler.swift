import Foundation
import Logging
import NIOCore
import TovholderEngine

/// Serves one control connection on its event loop. A client may pipeline: answers go back in request
/// order; changes are queued at the writer as their lines arrive (so one group commit carries many);
/// a request that must run alone waits until every earlier answer is sent and holds back the lines after
/// it. Short reads (`status`, `citizen.show`) are answered right here on the event loop, without a task
/// or a thread hop; a change's answer is rendered here when the writer reports it on disk.
///
/// Back-pressure: the socket is not read while received lines wait to be started (a request running
/// alone, `maxInFlight` answers outstanding) or while the client does not take its answers.
final class ConnectionHandler: ChannelDuplexHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    /// Requests one connection may have in flight before the daemon stops starting its lines.
    static let maxInFlight = 256

    private enum Incoming {
        case line(ByteBuffer)
        /// The client sent a line longer than the limit: its framing is lost.
        case tooLarge
    }

    let handler: RequestHandler
    let caller: Caller
    let maxLineBytes: Int
    let logger: Logger

    private var context: ChannelHandlerContext?
    /// Received, not yet started.
    private var incoming = CircularBuffer<Incoming>()
    /// Started, in request order: the answer once it is known.
    private var answers = CircularBuffer<Data?>()
    /// The request number of `answers.first`.
    private var firstAnswer = 0
    /// A request that runs alone, waiting for the earlier answers to be sent.
    private var alone: Alone?
    /// A request running alone asynchronously.
    private var runningAlone = false
    /// No more requests are started; the connection closes once the started ones are answered.
    private var closing = false
    private var readPending = false
    private var processing = false
    private var processAgain = false

    init(handler: RequestHandler, caller: Caller, maxLineBytes: Int, logger: Logger) {
        self.handler = handler
        self.caller = caller
        self.maxLineBytes = maxLineBytes
        self.logger = logger
    }

    func handlerAdded(context: ChannelHandlerContext) { self.context = context }

    func handlerRemoved(context: ChannelHandlerContext) { self.context = nil }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        incoming.append(.line(unwrapInboundIn(data)))
        process()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        if error is ByteToMessageDecoderError.PayloadTooLargeError {
            incoming.append(.tooLarge)
            process()
        } else {
            logger.debug("control connection failed", metadata: ["error": "\(error)"])
            context.close(promise: nil)
        }
    }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        process()
        context.fireChannelWritabilityChanged()
    }

    /// Reads from the socket only when every received line has been started and the client keeps up.
    func read(context: ChannelHandlerContext) {
        if incoming.isEmpty && !closing && context.channel.isWritable {
            context.read()
        } else {
            readPending = true
        }
    }

    /// Sends the answers that are ready, starts what may start, and resumes reading when all is started.
    private func process() {
        guard !processing else {
            processAgain = true
            return
        }
        processing = true
        defer { processing = false }
        repeat {
            processAgain = false
            step()
        } while processAgain
    }

    private func step() {
        guard let context else { return }
        sendReady(context)
        while context.channel.isWritable {
            if let job = alone {
                guard answers.isEmpty, !runningAlone else { break }
                alone = nil
                runAlone(job, context)
                continue
            }
            guard !closing, !runningAlone, answers.count < Self.maxInFlight, let next = incoming.popFirst() else { break }
            switch next {
            case .tooLarge:
                closing = true
                incoming.removeAll()
                answers.append(Data(#"{"error":{"code":"too-large","message":"request line longer than \#(maxLineBytes) bytes; refused"},"ok":false,"v":1}"#.utf8))
            case .line(let line):
                start(handler.start(Data(line.readableBytesView), caller: caller), context)
            }
        }
        sendReady(context)
        if closing && answers.isEmpty && alone == nil && !runningAlone {
            context.close(promise: nil)
        } else if readPending && incoming.isEmpty && !closing && context.channel.isWritable {
            readPending = false
            context.read()
        }
    }

    private func start(_ job: RequestHandler.Job, _ context: ChannelHandlerContext) {
        switch job {
        case .ready(let answer):
            answers.append(answer)
        case .queued(let ticket, let render):
            let number = firstAnswer + answers.count
            answers.append(nil)
            let loop = context.eventLoop
            let this = NIOLoopBound(self, eventLoop: loop)
            ticket.whenDone { result in
                loop.execute { this.value.answer(number, render(result)) }
            }
        case .read(let answer):
            alone = .read(answer)
        case .serial(let answer):
            alone = .serial(answer)
        }
    }

    /// A request that runs alone, once every earlier one is answered.
    private enum Alone {
        case read(@Sendable () -> Data)
        case serial(@Sendable () async -> Data)
    }

    private func runAlone(_ job: Alone, _ context: ChannelHandlerContext) {
        switch job {
        case .read(let answer):
            send(answer(), context)
            context.flush()
        case .serial(let answer):
            runningAlone = true
            let this = NIOLoopBound(self, eventLoop: context.eventLoop)
            context.eventLoop.makeFutureWithTask { await answer() }.whenSuccess { data in
                this.value.finishAlone(data)
            }
        }
    }

    private func finishAlone(_ answer: Data) {
        runningAlone = false
        if let context {
            send(answer, context)
            context.flush()
        }
        process()
    }

    /// The answer to request `number` is known.
    private func answer(_ number: Int, _ data: Data) {
        guard context != nil else { return }
        answers[answers.index(answers.startIndex, offsetBy: number - firstAnswer)] = data
        process()
    }

    private func sendReady(_ context: ChannelHandlerContext) {
        var sent = false
        while let first = answers.first, let data = first {
            answers.removeFirst()
            firstAnswer += 1
            send(data, context)
            sent = true
        }
        if sent { context.flush() }
    }

    private func send(_ data: Data, _ context: ChannelHandlerContext) {
        var buffer = context.channel.allocator.buffer(capacity: data.count + 1)
        buffer.writeBytes(data)
        buffer.writeInteger(UInt8(ascii: "\n"))
        context.write(wrapOutboundOut(buffer), promise: nil)
    }
}
