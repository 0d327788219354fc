/// Which events of a run one stream's versions are: version `v` of its family is event
/// `offset + (v − 1) × stride`, and `final` is the last version its family gets.
///
/// One family per run (fanout, storm) is offset 1, stride 1; the scale run interleaves many
/// families in one publish schedule, so family `f` of `F` has offset `f + 1` and stride `F`.
struct StreamEvents: Sendable {
    var offset: Int
    var stride: Int
    var final: Int

    /// The run's event number of version `version` (1...final).
    func event(_ version: Int) -> Int { offset + (version - 1) * stride }
}
