// swift-tools-version: 6.0
import PackageDescription

/// One settings array for every target: Swift 6 mode with strict concurrency comes from the tools version.
let settings: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("MemberImportVisibility"),
]

let package = Package(
    name: "Tovholder",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "tovholderd", targets: ["tovholderd"]),
        .executable(name: "tovholderctl", targets: ["tovholderctl"]),
        .executable(name: "tovholder-bench", targets: ["tovholder-bench"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-nio-extras.git", from: "1.35.2"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-collections.git", from: "1.6.0"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
        .package(url: "https://github.com/groue/GRDB.swift.git", from: "7.10.0"),
        .package(url: "https://github.com/LebJe/TOMLKit.git", from: "0.6.0"),
        .package(url: "https://github.com/pointfreeco/swift-clocks.git", from: "1.1.1"),
        .package(url: "https://github.com/pointfreeco/swift-concurrency-extras.git", from: "1.4.3"),
    ],
    targets: [
        .target(name: "TovholderCore", swiftSettings: settings),
        .target(name: "TovholderProtocol", dependencies: ["TovholderCore"], swiftSettings: settings),
        .target(
            name: "TovholderConfig",
            dependencies: ["TovholderCore", .product(name: "TOMLKit", package: "TOMLKit")],
            swiftSettings: settings
        ),
        .target(
            name: "TovholderStore",
            dependencies: [
                "TovholderCore", .product(name: "GRDB", package: "GRDB.swift"),
                // SQLite's C API, for binding the hot inserts and updates without GRDB's argument arrays.
                .product(name: "GRDBSQLite", package: "GRDB.swift"),
            ],
            swiftSettings: settings
        ),
        .systemLibrary(name: "CSystemd", pkgConfig: "libsystemd", providers: [.apt(["libsystemd-dev"])]),
        .target(
            name: "TovholderSystemd",
            dependencies: ["CSystemd", .product(name: "Logging", package: "swift-log")],
            swiftSettings: settings
        ),
        .target(
            name: "TovholderChannels",
            dependencies: [
                "TovholderCore", "TovholderSystemd",
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: settings
        ),
        .target(
            name: "TovholderEngine",
            dependencies: [
                "TovholderCore", "TovholderStore", "TovholderChannels",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "HeapModule", package: "swift-collections"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: settings
        ),
        .target(
            name: "TovholderControl",
            dependencies: [
                "TovholderCore", "TovholderProtocol", "TovholderEngine", "TovholderStore",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOExtras", package: "swift-nio-extras"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: settings
        ),
        .target(
            name: "TovholderDaemon",
            dependencies: [
                "TovholderCore", "TovholderConfig", "TovholderStore", "TovholderChannels", "TovholderEngine",
                "TovholderControl", "TovholderSystemd",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: settings
        ),
        .executableTarget(
            name: "tovholderd",
            dependencies: ["TovholderDaemon"],
            swiftSettings: settings
        ),
        .target(
            name: "TovholderCtl",
            dependencies: [
                "TovholderProtocol", "TovholderCore",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            swiftSettings: settings
        ),
        .executableTarget(
            name: "tovholderctl",
            dependencies: ["TovholderCtl"],
            swiftSettings: settings
        ),
        .target(name: "TovholderHarness", dependencies: ["TovholderProtocol"], swiftSettings: settings),
        .executableTarget(
            name: "tovholder-bench",
            dependencies: [
                "TovholderHarness", "TovholderCore",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            swiftSettings: settings
        ),
        .testTarget(name: "TovholderCoreTests", dependencies: ["TovholderCore"], swiftSettings: settings),
        .testTarget(
            name: "TovholderCtlTests", dependencies: ["TovholderCtl", "TovholderCore", "TovholderProtocol"], swiftSettings: settings),
        .testTarget(
            name: "TovholderProtocolTests", dependencies: ["TovholderProtocol", "TovholderCore"], swiftSettings: settings),
        .testTarget(
            name: "TovholderConfigTests",
            dependencies: ["TovholderConfig", "TovholderCore"],
            swiftSettings: settings
        ),
        .testTarget(
            name: "TovholderEngineTests",
            dependencies: [
                "TovholderEngine", "TovholderStore", "TovholderChannels", "TovholderCore",
                .product(name: "Clocks", package: "swift-clocks"),
                .product(name: "ConcurrencyExtras", package: "swift-concurrency-extras"),
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: settings
        ),
        .testTarget(
            name: "TovholderEndToEndTests",
            dependencies: [
                "TovholderCore", "TovholderHarness", "TovholderProtocol", "tovholderd", "tovholderctl",
                .product(name: "GRDB", package: "GRDB.swift"),
            ],
            swiftSettings: settings
        ),
    ]
)
