import Logging

/// How `flimmer-sync serve` writes its log lines (`--log-format`).
public enum LogFormat: String, Sendable, CaseIterable {
    /// swift-log's own human-readable lines (the default).
    case text
    /// `key=value` pairs, one line per entry: `ts=… level=info logger=flimmer-sync msg=listening port=8080`.
    case logfmt
    /// One JSON object per line: `{"ts":"…","level":"info","logger":"flimmer-sync","msg":"listening","port":"8080"}`.
    case json

    /// A handler of this format for `label`, writing to standard error as swift-log's default does.
    public func makeHandler(label: String, metadataProvider: Logger.MetadataProvider? = nil) -> any LogHandler {
        switch self {
        case .text:
            return StreamLogHandler.standardError(label: label, metadataProvider: metadataProvider)
        case .logfmt:
            return LogfmtLogHandler(label: label, metadataProvider: metadataProvider)
        case .json:
            return JSONLogHandler(label: label, metadataProvider: metadataProvider)
        }
    }
}
