import FlimmerClient
import FlimmerTestSupport
import Gateway
import NIOCore
import Testing

@Suite("Event-stream framing")
struct SSEFrameTests {
    @Test func eventFrameHasIdEventAndData() {
        let frame = SSEFrame.event(id: "e-1", event: "invalidate", data: #"{"a":1}"#)
        #expect(String(buffer: frame) == "id: e-1\nevent: invalidate\ndata: {\"a\":1}\n\n")
    }

    @Test(arguments: ["a\nb", "a\r\nb", "a\rb"])
    func multiLineDataBecomesSeveralDataLines(data: String) {
        let frame = SSEFrame.event(id: nil, event: nil, data: data)
        #expect(String(buffer: frame) == "data: a\ndata: b\n\n")
        var parser = EventStreamParser()
        #expect(parser.feed(Array(String(buffer: frame).utf8)) == [ServerSentEvent(type: "message", data: "a\nb")])
    }

    @Test func idAndEventCannotInjectLines() {
        let frame = SSEFrame.event(id: "x\ndata: evil", event: "a\rb", data: "ok")
        #expect(String(buffer: frame) == "id: xdata: evil\nevent: ab\ndata: ok\n\n")
    }

    @Test func commentsRetryAndIdOnly() {
        #expect(String(buffer: SSEFrame.comment("heartbeat")) == ": heartbeat\n\n")
        #expect(String(buffer: SSEFrame.retry(milliseconds: 2000)) == "retry: 2000\n")
        #expect(String(buffer: SSEFrame.idOnly("e-3")) == "id: e-3\n\n")
        var parser = EventStreamParser()
        let items = parser.items(Array((String(buffer: SSEFrame.retry(milliseconds: 5)) + String(buffer: SSEFrame.idOnly("e-3"))).utf8))
        #expect(items == [.retry(5)])
        #expect(parser.lastEventID == "e-3")
    }
}
