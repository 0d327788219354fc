import Logging

/// What the one-line handlers share: each entry becomes a ``LogRecord`` (handler, provider and
/// call metadata merged) and `format` turns it into one line for `output`. The handlers differ
/// only in `format`.
protocol LineLogHandler: LogHandler {
    var label: String { get }
    var output: @Sendable (String) -> Void { get }
    static func format(_ record: LogRecord) -> String
}

extension LineLogHandler {
    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        let record = LogRecord(
            timestamp: LogRecord.now(), level: event.level, label: label, message: event.message.description,
            metadata: LogRecord.merged(handler: metadata, provider: metadataProvider, call: event.metadata)
        )
        output(Self.format(record))
    }
}
