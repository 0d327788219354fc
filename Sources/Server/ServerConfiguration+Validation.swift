import ContentQueue
import Gateway
import RedisClient

extension ServerConfiguration {
    /// Throws ``ConfigurationError`` for the first value that cannot work; never repeats a secret.
    /// ``FlimmerSyncServer`` calls it before it builds anything.
    public func validate() throws(ConfigurationError) {
        try ConfigurationError.require(port, in: 0...65535, "port")
        do {
            try TokenAuthority.check(secret: jwtSecret)
        } catch {
            throw ConfigurationError(setting: "jwtSecret", "must hold at least \(TokenAuthority.minimumSecretBytes) bytes")
        }
        try ConfigurationError.require(maxBodyBytes, in: 1024...Int.max, "maxBodyBytes")
        try ConfigurationError.require(backlog, in: 1...Int.max, "backlog")
        try ConfigurationError.require(store.maxAttempts, in: 1...Int.max, "store.maxAttempts")
        try ConfigurationError.require(store.minReplicas, in: 0...16, "store.minReplicas")
        // WAIT is a command like any other on its connection: it must end before the command timeout does.
        guard store.replicationTimeout >= .milliseconds(1), store.minReplicas == 0 || store.replicationTimeout < redis.commandTimeout else {
            throw ConfigurationError(
                setting: "store.replicationTimeout",
                "must be at least 1 ms, and shorter than the Redis command timeout (\(redis.commandTimeout)) when replicas are awaited"
            )
        }
        guard subscriber.channels == store.channels else {
            throw ConfigurationError(setting: "subscriber.channels", "must be where the store publishes (\(store.channels.rawValue))")
        }
        try ConfigurationError.requirePositive(shutdownTimeout, "shutdownTimeout")
        try ConfigurationError.requirePositive(idleTimeout, "idleTimeout")
        let ticketLifetime = streamTicketLifetime.components
        guard ticketLifetime.attoseconds == 0, (1...300).contains(ticketLifetime.seconds) else {
            throw ConfigurationError(setting: "streamTicketLifetime", "must be whole seconds, 1 to 300")
        }
        for origin in corsAllowedOrigins where !Self.isExplicitOrigin(origin) {
            throw ConfigurationError(
                setting: "corsAllowedOrigins",
                "must be explicit origins such as https://app.example (no wildcard, no path)"
            )
        }
        if let metricsToken, metricsToken.count < 16 || metricsToken.contains(where: \.isWhitespace) {
            throw ConfigurationError(setting: "metricsToken", "must be at least 16 characters, without spaces")
        }
        do {
            try redis.validate()
        } catch let error as RedisError {
            throw ConfigurationError(setting: "redis", error.message)
        } catch {
            throw ConfigurationError(setting: "redis", "\(error)")
        }
        do {
            try hub.validate()
        } catch {
            throw error.nested(in: "hub")
        }
        do {
            try subscriber.validate()
        } catch {
            throw error.nested(in: "subscriber")
        }
    }

    /// `scheme://host[:port]`: no wildcard, no path.
    static func isExplicitOrigin(_ origin: String) -> Bool {
        origin != "*" && (origin.hasPrefix("http://") || origin.hasPrefix("https://"))
            && !origin.dropFirst(8).contains("/") && !origin.contains("*") && !origin.contains(where: \.isWhitespace)
    }
}
