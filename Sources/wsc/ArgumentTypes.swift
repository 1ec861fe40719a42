import ArgumentParser
import WeightShare

// The library's enumerations as typed options: ArgumentParser parses them by raw value, lists the raw values in
// --help, and names the option, the bad value and the accepted values in its error. (No @retroactive: the types
// are declared in this package.)

extension Metric: ExpressibleByArgument {}
extension BoundMethod: ExpressibleByArgument {}
extension GenomeKind: ExpressibleByArgument {}
extension SearchSettings.MergeFloor: ExpressibleByArgument {}
extension LoweringOptions.BatchNormFolding: ExpressibleByArgument {}
extension FirmwareIO: ExpressibleByArgument {}
extension IndexCoding: ExpressibleByArgument {}
extension SearchSettings.MergeRule: ExpressibleByArgument {}
extension SearchSettings.FrontKind: ExpressibleByArgument {}
extension EvaluatorKernels: ExpressibleByArgument {}
extension ConstantPrecision: ExpressibleByArgument {}
extension SearchSettings.MergeOrder: ExpressibleByArgument {}
