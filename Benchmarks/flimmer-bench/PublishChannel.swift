/// Where the publisher sends one event: a Redis PUBLISH or an Nchan POST.
///
/// `publish` returns after the server acknowledged the event, so the next one never overtakes it.
protocol PublishChannel: AnyObject {
    func publish(_ payload: [UInt8]) throws
}
