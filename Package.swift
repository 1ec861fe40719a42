// swift-tools-version: 6.2
import PackageDescription

// Warnings are errors in every C and C++ target (CSetting/CXXSetting forms; unsafeFlags would make the
// package unusable as a dependency).
let strictC: [CSetting] = [
    .enableWarning("all"), .enableWarning("extra"), .enableWarning("pedantic"), .treatAllWarnings(as: .error),
]
let strictCXX: [CXXSetting] = [
    .enableWarning("all"), .enableWarning("extra"), .treatAllWarnings(as: .error),
    .headerSearchPath("generated"),
    // FlatBuffers' asserts only in debug builds; SwiftPM release builds do not define NDEBUG.
    .define("NDEBUG", .when(configuration: .release)),
]

let package = Package(
    name: "WeightShare",
    platforms: [.macOS(.v13)],
    products: [
        .executable(name: "wsc", targets: ["wsc"]),
        .library(name: "WeightShare", targets: ["WeightShare"]),
        .library(name: "WeightShareReader", targets: ["WeightShareReader"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", exact: "1.8.2"),
        // traits: [] keeps SwiftPM 6.3 from emitting trait flags in random order (and rebuilding at random).
        .package(url: "https://github.com/apple/swift-protobuf", exact: "1.39.0", traits: []),
        .package(url: "https://github.com/weichsel/ZIPFoundation", exact: "0.9.20"),
    ],
    targets: [
        // Portable C99 runtime: verify a .wsm and run it with weights decoded on the fly.
        .target(
            name: "WeightShareRuntime",
            path: "Runtime",
            exclude: ["schema", "tests", "Makefile", "README.md"],
            sources: ["src"],
            publicHeadersPath: "include",
            // The runtime is the search's evaluator: optimised in debug builds too (tests and `make test` search with
            // the debug wsc). Its own Makefile builds it at -O0/-g for debugging; x86-64 has no FMA by default, so
            // -O2 changes no float result (same bytes: GoldenBytesTests).
            // WS_CRC32_ZLIB: zlib's CRC-32 (Debian zlib1g-dev, already linked for .npz) instead of the flash-saving
            // nibble loop, which was 14 % of a digits-MLP search (every candidate's container is CRC'd twice).
            cSettings: strictC + [.define("WS_CRC32_ZLIB"), .unsafeFlags(["-O2"], .when(configuration: .debug))],
            linkerSettings: [.linkedLibrary("z")]
        ),
        // The .wsm writer over Debian's libflatbuffers-dev (header-only), behind a plain C header.
        .target(
            name: "WSMFlatBuffers",
            dependencies: ["WeightShareRuntime"],
            exclude: ["generated"],
            cxxSettings: strictCXX
        ),
        // SHA-256 of source models through OpenSSL's libcrypto (Debian libssl-dev).
        .systemLibrary(name: "COpenSSLCrypto", path: "Sources/COpenSSLCrypto"),
        // zlib (Debian zlib1g-dev: .npz members inflated with bounded input and output, CRC-checked) and the rename that
        // exchanges two folders (a compile output replaced as a whole).
        .systemLibrary(name: "CWeightShareSystem", path: "Sources/CWeightShareSystem"),
        // The compiler, one target per layer; every arrow points down the data flow (the compiler enforces it):
        // Core ← Import ← Graph ← Compress ← Container ← Evaluate ─┐
        //                                    Container ← Boards ───┼─ Search ← Verify ← WeightShare (umbrella)
        //                                         Core ← NSGA2 ────┘
        .target(name: "WeightShareCore"),
        .target(
            name: "WeightShareImport",
            dependencies: [
                "WeightShareCore", "CWeightShareSystem",
                .product(name: "SwiftProtobuf", package: "swift-protobuf"),
                .product(name: "ZIPFoundation", package: "ZIPFoundation"),
            ],
            exclude: ["onnx.proto"]
        ),
        .target(name: "WeightShareGraph", dependencies: ["WeightShareImport", "WeightShareRuntime"]),
        .target(name: "WeightShareCompress", dependencies: ["WeightShareGraph", "WeightShareHostKernels"]),
        .target(name: "WeightShareContainer", dependencies: ["WeightShareCompress", "WSMFlatBuffers", "WeightShareRuntime"]),
        // Batched host kernels of the search's fast evaluator: Conv/Gemm/MatMul over many samples on Debian's OpenBLAS
        // (libopenblas-dev). Host only, beside the runtime (whose internal headers it reads); optimised in debug too.
        .target(
            name: "WeightShareHostKernels",
            dependencies: ["WeightShareRuntime"],
            cSettings: strictC + [
                .headerSearchPath("../../Runtime/src"), .unsafeFlags(["-O2"], .when(configuration: .debug)),
                // The compensation sweep must round as the Swift one did on every host (no fused multiply-adds).
                .unsafeFlags(["-ffp-contract=off"]),
            ],
            linkerSettings: [.linkedLibrary("openblas")]
        ),
        .target(
            name: "WeightShareEvaluate",
            dependencies: ["WeightShareContainer", "WeightShareReader", "WeightShareHostKernels", "WeightShareRuntime"]
        ),
        .target(name: "WeightShareBoards", dependencies: ["WeightShareContainer"]),
        .target(name: "WeightShareNSGA2", dependencies: ["WeightShareCore"]),
        .target(
            name: "WeightShareSearch",
            dependencies: ["WeightShareEvaluate", "WeightShareBoards", "WeightShareNSGA2", "COpenSSLCrypto", "CWeightShareSystem"]
        ),
        .target(name: "WeightShareVerify", dependencies: ["WeightShareSearch"]),
        // The library users import: re-exports every layer.
        .target(
            name: "WeightShare",
            dependencies: [
                "WeightShareCore", "WeightShareImport", "WeightShareGraph", "WeightShareCompress", "WeightShareContainer",
                "WeightShareEvaluate", "WeightShareBoards", "WeightShareNSGA2", "WeightShareSearch", "WeightShareVerify",
            ]
        ),
        .target(name: "WeightShareReader", dependencies: ["WeightShareRuntime"]),
        .executableTarget(
            name: "wsc",
            dependencies: [
                "WeightShare", "WeightShareReader",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        .testTarget(
            name: "WeightShareTests",
            dependencies: [
                "WeightShare", "WeightShareCore", "WeightShareImport", "WeightShareGraph", "WeightShareCompress",
                "WeightShareContainer", "WeightShareEvaluate", "WeightShareBoards", "WeightShareNSGA2",
                "WeightShareSearch", "WeightShareVerify", "WeightShareReader", "WeightShareRuntime", "WSMFlatBuffers",
                "WeightShareHostKernels",
            ]
        ),
        .testTarget(name: "WeightShareReaderTests", dependencies: ["WeightShareReader", "WeightShare"]),
        .testTarget(name: "wscTests", dependencies: ["wsc", "WeightShareCore"]),
    ],
    cLanguageStandard: .c99,
    cxxLanguageStandard: .cxx17
)
