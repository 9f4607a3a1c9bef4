import Foundation
import Testing
import TaskmonKit
@testable import TaskmonMonitor

/// The monitor's screens, driven as a user would (keys in, frames out), with no terminal:
/// a controller fed the messages the scheduler link would deliver.
@MainActor
final class ScreenHarness {
    let controller: MonitorController
    var canvas: Canvas
    let sources: [String: MemoryOutputSource]
    let now = Fixture.epoch.addingTimeInterval(60)

    init(width: Int = 100, height: Int = 30, sources: [String: MemoryOutputSource] = [:]) {
        canvas = Canvas(width: width, height: height)
        self.sources = sources
        let box = RequestBox()
        controller = MonitorController(
            theme: Theme.builtinDefault.resolved(for: .monochrome), symbols: .ascii,
            requests: { box.requests.append($0) },
            outputSource: { job, task, stream, attempt in sources["\(job)/\(task)/\(stream.rawValue)" + (attempt.map { "#\($0)" } ?? "")] })
        self.box = box
    }

    private let box: RequestBox
    var sent: [LinkRequest] { box.requests }

    /// Collects what the controller asks of the scheduler (the tests run on one thread).
    final class RequestBox: @unchecked Sendable { var requests: [LinkRequest] = [] }

    func receive(_ messages: LinkMessage...) { controller.receive(messages, now: now) }

    func press(_ keys: Key...) {
        for key in keys { controller.handle(key, now: now) }
    }

    func type(_ text: String) {
        for character in text { controller.handle(.character(character), now: now) }
    }

    /// Draws a frame and returns its rows as text.
    @discardableResult
    func frame() -> [String] {
        _ = controller.render(into: &canvas, now: now)
        return (0..<canvas.height).map { canvas.text(ofRow: $0) }
    }

    var screen: String { frame().joined(separator: "\n") }

    func row(containing needle: String) -> Int? { frame().firstIndex { $0.contains(needle) } }

    /// Whether row `y` is drawn as the selection (reverse video in the monochrome scheme).
    func isSelected(_ y: Int) -> Bool {
        frame()
        return canvas.style(atX: 2, y: y).attributes.contains(.reverse)
    }
}

extension LinkMessage {
    static func snapshot(_ jobs: JobInfo..., seq: UInt64 = 1) -> LinkMessage {
        .connected(Fixture.hello, JobList(jobs: jobs, lastSeq: seq))
    }
}

@MainActor
@Suite struct MonitorScreenTests {
    func harnessWithJob(_ statuses: [TaskStatus], names: [String]? = nil) -> ScreenHarness {
        let harness = ScreenHarness()
        var page = Fixture.page(1, statuses: statuses, seq: 1)
        if let names {
            for index in page.tasks!.indices { page.tasks![index].name = names[index] }
        }
        var job = page
        job.tasks = nil
        harness.receive(.snapshot(job))
        harness.press(.enter)
        harness.receive(.tasksLoaded(1, [page]))
        return harness
    }

    @Test func jobsScreenShowsCountsProgressAndKeys() {
        let harness = ScreenHarness()
        harness.receive(.snapshot(Fixture.job(1, tasks: 4, counts: [.completed: 3, .failed: 1], name: "render"),
                                  Fixture.job(2, tasks: 2, name: "queued-up")))
        let rows = harness.frame()
        #expect(rows[0].contains("taskmon") && rows[0].contains("slots 0/4") && rows[0].contains("queue 2"))
        #expect(rows[1].contains("Jobs") && rows[1].contains("2 jobs"))
        let render = try! #require(harness.row(containing: "render"))
        #expect(rows[render].contains("100%") && rows[render].contains("4/4"))
        #expect(rows.last!.contains("Enter") && rows.last!.contains("quit"))
        // Newest first, and the selection starts on it.
        #expect(harness.row(containing: "queued-up")! < render)
        #expect(harness.isSelected(harness.row(containing: "queued-up")!))
    }

    @Test func enterOpensTheJobAndAsksForItsTasks() {
        let harness = ScreenHarness()
        harness.receive(.snapshot(Fixture.job(1, tasks: 2)))
        harness.press(.enter)
        #expect(harness.screen.contains("loading 2 tasks"))
        guard case .loadTasks(1)? = harness.sent.last else {
            Issue.record("no load request: \(harness.sent)")
            return
        }
        harness.receive(.tasksLoaded(1, [Fixture.page(1, statuses: [.running, .failed], seq: 2)]))
        let screen = harness.screen
        #expect(screen.contains("t0") && screen.contains("running"))
        #expect(screen.contains("t1") && screen.contains("failed"))
    }

    @Test func selectionStaysOnTheSameTaskWhenTheListReorders() throws {
        let harness = harnessWithJob([.submitted, .submitted, .submitted, .submitted])
        harness.press(.down, .down)
        let before = try #require(harness.row(containing: " t2 "))
        #expect(harness.isSelected(before))
        // Sorting by status puts failures first; task 2 fails and moves to the top.
        harness.press(.character("s"))
        harness.receive(.events([Fixture.change(5, job: 1, task: 2, .submitted, .failed)]))
        let after = try #require(harness.row(containing: " t2 "))
        #expect(after < before)
        #expect(harness.isSelected(after))
    }

    @Test func statusFilterShowsOnlyTheChosenStatuses() {
        let harness = harnessWithJob([.completed, .failed, .completed, .timedOut])
        harness.press(.character("f"))
        #expect(harness.screen.contains("Show tasks that are"))
        // Move to FAILED in the menu and tick it.
        let failedIndex = FilterMenu.rows.firstIndex(of: .failed)!
        for _ in 0..<failedIndex { harness.press(.down) }
        harness.press(.character(" "), .enter)
        let screen = harness.screen
        #expect(screen.contains(" t1 "))
        #expect(!screen.contains(" t0 ") && !screen.contains(" t3 "))
        #expect(screen.contains("filter: failed"))
    }

    @Test func searchJumpsBetweenMatchesAndHighlightsThem() throws {
        let harness = harnessWithJob([.completed, .completed, .completed, .completed],
                                     names: ["alpha", "render-7", "beta", "render-9"])
        harness.press(.character("/"))
        harness.type("render")
        harness.press(.enter)
        var selected = try #require(harness.row(containing: "render-7"))
        #expect(harness.isSelected(selected))
        harness.press(.character("n"))
        selected = try #require(harness.row(containing: "render-9"))
        #expect(harness.isSelected(selected))
        harness.press(.character("N"))
        #expect(harness.isSelected(try #require(harness.row(containing: "render-7"))))
        // The match itself is drawn in the search style.
        harness.frame()
        let y = try #require(harness.row(containing: "render-9"))
        let x = try #require(harness.frame()[y].range(of: "render-9")).lowerBound.utf16Offset(in: harness.frame()[y])
        #expect(harness.canvas.style(atX: x, y: y) == harness.controller.theme.style(for: .searchMatch))
    }

    @Test func cancelAsksForConfirmationAndSendsTheMessage() {
        let harness = harnessWithJob([.running])
        harness.press(.character("c"))
        #expect(harness.frame().last!.contains("Cancel task 1/0"))
        harness.type("wrong input")
        harness.press(.enter)
        guard case .cancel(1, 0, let message)? = harness.sent.last else {
            Issue.record("no cancel sent: \(harness.sent)")
            return
        }
        #expect(message == "wrong input")
        // Esc aborts without sending anything.
        let count = harness.sent.count
        harness.press(.character("c"), .escape)
        #expect(harness.sent.count == count)
    }

    @Test func detailOpensOnTheTabWithTheNewsAndSwitchesTabs() {
        let harness = harnessWithJob([.failed])
        harness.press(.enter)
        var info = TaskInfo(jobID: 1, id: 0, name: "t0", status: .failed, attempts: 1,
                            exception: TaskException(type: "ValueError", message: "bad frame", trace: "line 1\nline 2"))
        info.properties = ["frames": .int(100), "blob": .bytes(Data([0xde, 0xad]))]
        harness.receive(.taskLoaded(info))
        var screen = harness.screen
        #expect(screen.contains("Type:    ValueError") && screen.contains("line 2"))
        harness.press(.character("3"))
        screen = harness.screen
        #expect(screen.contains("frames") && screen.contains("int") && screen.contains("100"))
        #expect(screen.contains("2 bytes: de ad"))
        harness.press(.tab)
        #expect(harness.screen.contains("No result: the task ended FAILED with ValueError"))
        harness.press(.escape)
        #expect(harness.screen.contains("Job 1"))
    }

    @Test func outputTabFollowsARunningTaskUntilTheUserScrollsUp() {
        let output = MemoryOutputSource((1...100).map { "line \($0)\n" }.joined())
        let harness = ScreenHarness(width: 60, height: 14, sources: ["1/0/stdout": output])
        let page = Fixture.page(1, statuses: [.running], seq: 1)
        var job = page
        job.tasks = nil
        harness.receive(.snapshot(job))
        harness.press(.enter)
        harness.receive(.tasksLoaded(1, [page]))
        harness.press(.enter)
        harness.receive(.taskLoaded(TaskInfo(jobID: 1, id: 0, name: "t0", status: .running, attempts: 1)))
        harness.press(.character("1"))
        #expect(harness.screen.contains("line 100"), "a running task's output opens at its end")
        output.append("line 101\n")
        _ = harness.controller.tick(now: harness.now)
        #expect(harness.screen.contains("line 101"), "new output shows without a key")
        harness.press(.up, .up, .up)
        output.append("line 102\n")
        _ = harness.controller.tick(now: harness.now)
        #expect(!harness.screen.contains("line 102"), "scrolling up stops following")
        harness.press(.character("F"))
        #expect(harness.screen.contains("line 102"))
    }

    @Test func aTinyTerminalGetsTheTooSmallScreen() {
        let harness = ScreenHarness(width: 20, height: 6)
        harness.receive(.snapshot(Fixture.job(1, tasks: 1)))
        let screen = harness.screen
        #expect(screen.contains("too small"))
        #expect(screen.contains("need 40x10") || screen.contains("need 40×10"))
    }

    @Test func reconnectingKeepsTheLastStateOnScreen() {
        let harness = ScreenHarness()
        harness.receive(.snapshot(Fixture.job(1, tasks: 1, name: "render")))
        harness.receive(.disconnected("scheduler not running"))
        let screen = harness.screen
        #expect(screen.contains("reconnecting"))
        #expect(screen.contains("render"))
    }
}

@Suite struct DetailTextTests {
    @Test func aMultiLineCommandKeepsItsLines() {
        let task = TaskInfo(jobID: 1, id: 0, name: "t", status: .completed, command: ["sh", "-c", "echo one\necho two"])
        let lines = DetailText.info(task, now: Date())
        let start = lines.firstIndex { $0.hasPrefix("Command") }!
        #expect(lines[start] == "Command       sh -c 'echo one")
        #expect(lines[start + 1] == "              echo two'")
    }
}
