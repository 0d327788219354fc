/// A configuration value out of its range, found by a configuration's `validate()` before
/// anything starts.
public struct ConfigurationError: Error, Sendable, Equatable, CustomStringConvertible {
    /// Always `invalid_configuration`, as in the API's error codes.
    public let code = "invalid_configuration"
    /// The setting, as its property is named (`hub.heartbeatInterval`).
    public let setting: String
    /// What is wrong with it, without its value when that could be secret.
    public let message: String

    public init(setting: String, _ message: String) {
        self.setting = setting
        self.message = message
    }

    public var description: String { "\(setting) \(message)" }

    /// Prefixes the setting with the name of the configuration that holds it.
    public func nested(in parent: String) -> ConfigurationError {
        ConfigurationError(setting: "\(parent).\(setting)", message)
    }

    /// Throws unless `value` is above zero.
    public static func requirePositive(_ value: Duration, _ setting: String) throws(ConfigurationError) {
        guard value > .zero else { throw ConfigurationError(setting: setting, "must be positive") }
    }

    /// Throws unless `value` is in `range`.
    public static func require(_ value: Int, in range: ClosedRange<Int>, _ setting: String) throws(ConfigurationError) {
        guard range.contains(value) else {
            let bound = range.upperBound == .max ? "at least \(range.lowerBound)" : "\(range.lowerBound)-\(range.upperBound)"
            throw ConfigurationError(setting: setting, "must be \(bound)")
        }
    }
}
