/// The product of `dimensions` (a tensor's element count), or nil when a dimension is negative or the product
/// exceeds `limit` — shapes read from files are checked here, never left to overflow.
public func checkedElementCount<S: Sequence<Int>>(_ dimensions: S, atMost limit: Int) -> Int? {
    var count = 1
    for d in dimensions {
        guard d >= 0 else { return nil }
        let (product, overflow) = count.multipliedReportingOverflow(by: d)
        guard !overflow, product <= limit else { return nil }
        count = product
    }
    return count
}
