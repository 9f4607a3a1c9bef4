// swift-tools-version: 6.0
import PackageDescription

let package = Package(
    name: "taskmon",
    products: [
        .executable(name: "taskmon", targets: ["taskmon"]),
        .executable(name: "taskmon-bench", targets: ["taskmon-bench"]),
        .library(name: "TaskmonKit", targets: ["TaskmonKit"]),
        .library(name: "TaskmonScheduler", targets: ["TaskmonScheduler"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-log", from: "1.6.0"),
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.0.0"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.80.0"),
        .package(url: "https://github.com/apple/swift-collections", from: "1.1.0"),
        .package(url: "https://github.com/LebJe/TOMLKit", from: "0.6.0"),
    ],
    targets: [
        .target(name: "CTaskmonPOSIX"),
        .target(name: "TaskmonKit"),
        // ncursesw for Swift; only TaskmonMonitor's Terminal uses it.
        .target(name: "CNCurses", linkerSettings: [.linkedLibrary("ncursesw")]),
        .target(
            name: "TaskmonMonitor",
            dependencies: [
                "TaskmonKit",
                "CNCurses",
                "CTaskmonPOSIX",
                .product(name: "TOMLKit", package: "TOMLKit"),
            ]
        ),
        .target(
            name: "TaskmonScheduler",
            dependencies: [
                "TaskmonKit",
                "CTaskmonPOSIX",
                .product(name: "GRDB", package: "GRDB.swift"),
                // SQLite's C API, for the commit thread's hot rows (PreparedRow).
                .product(name: "GRDBSQLite", package: "GRDB.swift"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "DequeModule", package: "swift-collections"),
            ]
        ),
        .executableTarget(
            name: "taskmon",
            dependencies: [
                "TaskmonKit",
                "CTaskmonPOSIX",
                "TaskmonScheduler",
                "TaskmonMonitor",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
                // `[serve]` in config.toml.
                .product(name: "TOMLKit", package: "TOMLKit"),
            ]
        ),
        .executableTarget(
            name: "taskmon-bench",
            dependencies: ["TaskmonKit", "TaskmonMonitor", "CTaskmonPOSIX"]
        ),
        .executableTarget(name: "taskmon-swift-example", dependencies: ["TaskmonKit"], path: "Examples/SwiftAPI"),
        // What every test target needs to wait without blocking Swift's cooperative pool, and
        // to follow a process by its pidfd rather than by a number that may come back.
        .target(name: "TaskmonTestSupport", dependencies: ["CTaskmonPOSIX"], path: "Tests/Support"),
        .testTarget(name: "TaskmonKitTests", dependencies: ["TaskmonKit"]),
        .testTarget(name: "TaskmonMonitorTests", dependencies: ["TaskmonMonitor", "TaskmonKit"]),
        .testTarget(
            name: "TaskmonSchedulerTests",
            dependencies: ["TaskmonScheduler", "TaskmonKit", "TaskmonTestSupport", .product(name: "Logging", package: "swift-log")]),
        // Against a real single-node Slurm cluster (Scripts/slurm-cluster); `skipped: …` without Slurm.
        .testTarget(name: "TaskmonSlurmTests", dependencies: ["TaskmonKit", "CTaskmonPOSIX", "taskmon", "TaskmonTestSupport"]),
        // Drives the real binaries; depending on them makes `swift test` build them first.
        .testTarget(
            name: "EndToEndTests",
            dependencies: ["TaskmonKit", "CTaskmonPOSIX", "taskmon", "taskmon-swift-example", "TaskmonTestSupport"],
            path: "Tests/EndToEnd",
            // The pty tests are Python (pytest + pyte); Scripts/test runs them.
            exclude: ["pty"]),
    ]
)
