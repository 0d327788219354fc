import Logging

/// How one log entry becomes one line.
public protocol LogLineFormat: Sendable {
    /// The record as one line, without its newline.
    static func format(_ record: LogRecord) -> String
}

/// A swift-log handler that writes each entry as one line in `Format`: the entry becomes a
/// ``LogRecord`` (handler, provider and call metadata merged) and `Format` turns it into the
/// line. The JSON and logfmt handlers are this handler with their formats.
public struct LineLogHandler<Format: LogLineFormat>: LogHandler {
    public var logLevel: Logger.Level = .info
    public var metadata: Logger.Metadata = [:]
    public var metadataProvider: Logger.MetadataProvider?
    let label: String
    let output: @Sendable (String) -> Void

    /// - Parameter output: receives each finished line (without its newline); standard error by default.
    public init(
        label: String,
        metadataProvider: Logger.MetadataProvider? = nil,
        output: @escaping @Sendable (String) -> Void = LogRecord.writeToStandardError
    ) {
        self.label = label
        self.metadataProvider = metadataProvider
        self.output = output
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        let record = LogRecord(
            timestamp: LogRecord.now(),
            level: event.level,
            label: label,
            message: event.message.description,
            metadata: LogRecord.merged(handler: metadata, provider: metadataProvider, call: event.metadata)
        )
        output(Format.format(record))
    }
}
