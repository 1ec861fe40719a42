// The umbrella module: `import WeightShare` gives the whole compiler, layer by layer (see Package.swift).
@_exported import WeightShareBoards
@_exported import WeightShareCompress
@_exported import WeightShareContainer
@_exported import WeightShareCore
@_exported import WeightShareEvaluate
@_exported import WeightShareGraph
@_exported import WeightShareImport
@_exported import WeightShareNSGA2
@_exported import WeightShareSearch
@_exported import WeightShareVerify
