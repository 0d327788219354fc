import FlimmerClient
import Testing

@Suite("EventStreamParser")
struct EventStreamParserTests {
    /// Feeds `text` split into chunks of `size` bytes (and whole), checking both give `expected`.
    private func parse(_ bytes: [UInt8], chunk size: Int) -> (events: [ServerSentEvent], parser: EventStreamParser) {
        var parser = EventStreamParser()
        var events: [ServerSentEvent] = []
        var index = 0
        while index < bytes.count {
            let end = min(index + size, bytes.count)
            events += parser.feed(bytes[index..<end])
            index = end
        }
        return (events, parser)
    }

    /// Every chunk size from 1 to the whole input must give the same events.
    private func expectEvents(_ text: String, _ expected: [ServerSentEvent], sourceLocation: SourceLocation = #_sourceLocation) {
        expectEvents(Array(text.utf8), expected, sourceLocation: sourceLocation)
    }

    private func expectEvents(_ bytes: [UInt8], _ expected: [ServerSentEvent], sourceLocation: SourceLocation = #_sourceLocation) {
        for size in 1...max(bytes.count, 1) {
            #expect(parse(bytes, chunk: size).events == expected, "chunk size \(size)", sourceLocation: sourceLocation)
        }
    }

    @Test func simpleEventWithTypeAndID() {
        expectEvents(
            "id: 7\nevent: invalidate\ndata: {\"key\":\"contentQueue\"}\n\n",
            [
                ServerSentEvent(type: "invalidate", data: #"{"key":"contentQueue"}"#, id: "7")
            ]
        )
    }

    @Test func typeDefaultsToMessage() {
        expectEvents("data: x\n\n", [ServerSentEvent(type: "message", data: "x", id: "")])
    }

    @Test func multiLineDataJoinedWithLF() {
        expectEvents("data: one\ndata: two\ndata:\ndata: four\n\n", [ServerSentEvent(data: "one\ntwo\n\nfour")])
    }

    @Test func crlfAndCRAndLFLineEnds() {
        let expected = [ServerSentEvent(type: "a", data: "1"), ServerSentEvent(type: "b", data: "2"), ServerSentEvent(type: "c", data: "3")]
        expectEvents("event: a\r\ndata: 1\r\n\r\nevent: b\rdata: 2\r\revent: c\ndata: 3\n\n", expected)
    }

    @Test func crAtChunkEndThenLFIsOneLineEnd() {
        // Had the LF counted as a second line end, it would dispatch "x" before the second data line.
        var parser = EventStreamParser()
        #expect(parser.feed(Array("data: x\r".utf8)).isEmpty)
        #expect(parser.feed(Array("\ndata: y\r".utf8)).isEmpty)
        #expect(parser.feed(Array("\n\r".utf8)) == [ServerSentEvent(data: "x\ny")])
        #expect(parser.feed(Array("\n".utf8)).isEmpty, "the LF after the dispatching CR is part of it")
    }

    @Test func leadingBOMIgnoredOnlyAtStart() {
        let bom: [UInt8] = [0xEF, 0xBB, 0xBF]
        expectEvents(bom + Array("data: a\n\n".utf8), [ServerSentEvent(data: "a")])
        // A second BOM is not at the stream's start: it becomes part of the field name "\u{FEFF}data", unknown.
        expectEvents(bom + bom + Array("data: a\n\ndata: b\n\n".utf8), [ServerSentEvent(data: "b")])
    }

    @Test func commentsIgnored() {
        expectEvents(": heartbeat\n: another\ndata: x\n: between\n\n", [ServerSentEvent(data: "x")])
    }

    @Test func onlyOneSpaceAfterColonStripped() {
        expectEvents("data:no space\n\ndata:  two spaces\n\n", [ServerSentEvent(data: "no space"), ServerSentEvent(data: " two spaces")])
    }

    @Test func fieldWithoutColonHasEmptyValue() {
        // "data" alone appends an empty line: the data buffer is "\n", so an event with empty data is dispatched.
        expectEvents("data\n\n", [ServerSentEvent(data: "")])
    }

    @Test func noDataFieldMeansNoDispatch() {
        let (events, parser) = parse(Array("event: invalidate\n\nretry: 10\n\n".utf8), chunk: 100)
        #expect(events.isEmpty)
        #expect(parser.retryMilliseconds == 10)
    }

    @Test func eventTypeDoesNotLeakIntoNextEvent() {
        expectEvents("event: reset\n\ndata: x\n\n", [ServerSentEvent(type: "message", data: "x")])
    }

    @Test func idPersistsAcrossEventsAndIDOnlyBlockSetsIt() {
        let (events, parser) = parse(Array("retry: 2000\nid: e-1\n\ndata: a\n\nid: e-2\ndata: b\n\ndata: c\n\n".utf8), chunk: 3)
        #expect(events.map(\.id) == ["e-1", "e-2", "e-2"])
        #expect(parser.lastEventID == "e-2")
    }

    @Test func idWithNULLIgnored() {
        let (events, parser) = parse(Array("id: good\ndata: a\n\nid: b\u{0}ad\ndata: b\n\n".utf8), chunk: 5)
        #expect(events.map(\.id) == ["good", "good"])
        #expect(parser.lastEventID == "good")
    }

    @Test func emptyIDResetsTheLastEventID() {
        let (_, parser) = parse(Array("id: x\ndata: a\n\nid\ndata: b\n\n".utf8), chunk: 4)
        #expect(parser.lastEventID == "")
    }

    @Test func retryDigitsOnly() {
        var parser = EventStreamParser()
        _ = parser.feed(Array("retry: 1500\n".utf8))
        #expect(parser.retryMilliseconds == 1500)
        for bad in ["retry: 15s\n", "retry: -1\n", "retry: 1 000\n", "retry:\n", "retry: 2.5\n"] {
            _ = parser.feed(Array(bad.utf8))
            #expect(parser.retryMilliseconds == 1500, "\(bad) must be ignored")
        }
    }

    @Test func unknownFieldsIgnored() {
        expectEvents("foo: bar\ndata: x\nDATA: y\nEvent: z\n\n", [ServerSentEvent(data: "x")])
    }

    @Test func multiByteUTF8SplitAcrossChunks() {
        // Chunk size 1 splits the 2-, 3- and 4-byte sequences; they must still decode whole.
        expectEvents("data: Grüße ✓ 🎬\n\n", [ServerSentEvent(data: "Grüße ✓ 🎬")])
    }

    @Test func invalidUTF8BecomesReplacementCharacter() {
        expectEvents(Array("data: a".utf8) + [0xFF] + Array("b\n\n".utf8), [ServerSentEvent(data: "a\u{FFFD}b")])
    }

    @Test func incompleteEventAtEndNotDispatched() {
        let (events, _) = parse(Array("data: a\n\ndata: b\n".utf8), chunk: 2)
        #expect(events == [ServerSentEvent(data: "a")])
    }

    @Test func resetDropsPartialEventButKeepsIDAndRetry() {
        var parser = EventStreamParser(lastEventID: "start")
        _ = parser.feed(Array("retry: 300\nid: e-5\n\ndata: half\nid: e-6\n".utf8))
        parser.reset()
        #expect(parser.lastEventID == "e-5", "an id not yet dispatched does not survive")
        #expect(parser.retryMilliseconds == 300)
        #expect(parser.feed(Array("data: new\n\n".utf8)) == [ServerSentEvent(data: "new", id: "e-5")])
    }

    @Test func initialLastEventID() {
        var parser = EventStreamParser(lastEventID: "abc-3")
        #expect(parser.lastEventID == "abc-3")
        #expect(parser.feed(Array("data: x\n\n".utf8)) == [ServerSentEvent(data: "x", id: "abc-3")])
    }

    /// A reader that wants more than events gets comments and valid retry fields too, in order,
    /// however the bytes are split; a comment neither dispatches nor disturbs the event around it.
    @Test func itemsCarryCommentsAndRetryFieldsInOrder() {
        let text = ": hello\nretry: 250\nretry: x\nid: e-1\ndata: a\n:heartbeat\ndata: b\n\n: bye; reconnect\n\n"
        let expected: [EventStreamItem] = [
            .comment("hello"), .retry(250), .comment("heartbeat"), .event(ServerSentEvent(data: "a\nb", id: "e-1")),
            .comment("bye; reconnect"),
        ]
        let bytes = Array(text.utf8)
        for size in 1...bytes.count {
            var parser = EventStreamParser()
            var items: [EventStreamItem] = []
            var index = 0
            while index < bytes.count {
                items += parser.items(bytes[index..<min(index + size, bytes.count)])
                index += size
            }
            #expect(items == expected, "chunk size \(size)")
            #expect(parser.retryMilliseconds == 250)
        }
    }
}
