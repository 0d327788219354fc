/// `watch`: the gateway answered, but not with a stream (already reported); wait and try again.
struct StreamDropped: Error {}
