import Foundation
import Testing
import TaskmonKit
@testable import TaskmonMonitor

/// What a day of batch work with the monitor found (issue 12): the model, the lists, the
/// detail tabs, the keymaps and the triage views, driven as a user would.
@MainActor
@Suite struct MonitorDayTests {
    func jobWithTasks(_ statuses: [TaskStatus], width: Int = 100, height: Int = 30,
                      edit: (inout JobInfo) -> Void = { _ in }) -> ScreenHarness {
        let harness = ScreenHarness(width: width, height: height)
        var page = Fixture.page(1, statuses: statuses, seq: 1)
        edit(&page)
        var job = page
        job.tasks = nil
        harness.receive(.snapshot(job))
        harness.press(.enter)
        harness.receive(.tasksLoaded(1, [page]))
        return harness
    }

    // MARK: Defect 3: a retried task's job is active again

    @Test func aRetriedTaskMakesItsFinishedJobActiveAgain() {
        var model = MonitorModel()
        var done = Fixture.job(1, tasks: 1, counts: [.failed: 1])
        done.finishedAt = Fixture.epoch.addingTimeInterval(5)
        model.connected(hello: Fixture.hello, jobs: JobList(jobs: [done], lastSeq: 1))
        #expect(model.jobs[1]!.progress == 100)
        model.apply(Fixture.change(2, job: 1, task: 0, .failed, .submitted, attempts: 1))
        #expect(model.jobs[1]!.info.finishedAt == nil)
        #expect(model.jobs[1]!.doneCount == 0)
        #expect(model.jobs[1]!.progress == 0)
    }

    // MARK: Defect 11: TIME from the first start, % with task progress

    @Test func aJobThatNeverStartedHasNoTimeAndProgressCountsRunningTasks() {
        var model = MonitorModel()
        model.connected(hello: Fixture.hello, jobs: JobList(jobs: [Fixture.job(1, tasks: 2)], lastSeq: 1))
        let later = Fixture.epoch.addingTimeInterval(600)
        #expect(model.jobs[1]!.duration(now: later) == nil, "all queued: no run time")
        model.apply(Fixture.change(2, job: 1, task: 0, .submitted, .running, at: 500))
        #expect(model.jobs[1]!.duration(now: later) == 100)
        model.apply(SchedulerEvent(seq: 3, time: later, body: .taskProgress(
            TaskProgressUpdate(jobID: 1, taskID: 0, progress: TaskProgress(percent: 50, info: nil)))))
        #expect(model.jobs[1]!.progress == 25, "half of one of two tasks")
    }

    // MARK: Defect 6: the selection at the top follows the position

    @Test func atTheTopTheSelectionStaysOnTheFirstRowAsTasksReorder() throws {
        let harness = jobWithTasks([.running, .running, .running])
        harness.press(.character("s"))  // by status: failures first
        harness.press(.character("g"))
        harness.receive(.events([Fixture.change(5, job: 1, task: 2, .running, .failed)]))
        // Task 2 failed and moved to the top: the first row, now task 2, is selected.
        let first = try #require(harness.row(containing: " t2 "))
        #expect(first == 3)
        #expect(harness.isSelected(first))
        // Away from the top, the selection follows the task.
        harness.press(.down)
        let selected = try #require(harness.row(containing: " t0 "))
        #expect(harness.isSelected(selected))
        harness.receive(.events([Fixture.change(6, job: 1, task: 1, .running, .failed)]))
        #expect(harness.isSelected(try #require(harness.row(containing: " t0 "))))
    }

    @Test func keysTypedWhileAListLoadsAreKept() throws {
        let harness = ScreenHarness()
        let page = Fixture.page(1, statuses: [.completed, .completed, .completed, .completed], seq: 1)
        var job = page
        job.tasks = nil
        harness.receive(.snapshot(job))
        harness.press(.enter)
        harness.press(.down, .down)
        harness.receive(.tasksLoaded(1, [page]))
        #expect(harness.isSelected(try #require(harness.row(containing: " t2 "))))
    }

    @Test func reopeningAJobUsesTheRowsItHas() {
        let harness = jobWithTasks([.completed, .failed])
        let asked = harness.sent.count
        harness.press(.escape, .enter)
        #expect(harness.sent.count == asked, "no second fetch")
        #expect(harness.screen.contains(" t1 "))
    }

    // MARK: Defect 4: properties wrap under VALUE and scroll to their end

    @Test func aLongPropertyWrapsUnderItsValueAndScrollsToItsEnd() throws {
        let harness = jobWithTasks([.completed], width: 60, height: 12)
        harness.press(.enter)
        var info = TaskInfo(jobID: 1, id: 0, name: "t0", status: .completed, attempts: 1)
        let words = (1...80).map { "word\($0)" }.joined(separator: " ")
        info.properties = ["long": .string(words + " THE-END"), "n": .int(3)]
        harness.receive(.taskLoaded(info))
        harness.press(.character("3"))
        let rows = harness.frame()
        let first = try #require(rows.firstIndex { $0.contains("long") && $0.contains("word1 ") })
        let valueColumn = try #require(rows[first].range(of: "word1 ")).lowerBound.utf16Offset(in: rows[first])
        let next = rows[first + 1]
        let indent = next.prefix { $0 == " " }.count
        #expect(indent == valueColumn, "wrapped rows start under VALUE")
        #expect(!harness.screen.contains("THE-END"))
        harness.press(.character("G"))
        #expect(harness.screen.contains("THE-END"), "G reaches the end of the value")
        #expect(harness.screen.contains("(Properties are kept") == false || harness.screen.contains("THE-END"))
    }

    // MARK: Defect 8: the footer lists only what works, and text tabs can be searched

    @Test func theFooterAndHelpComeFromTheKeymapThatDispatches() {
        let harness = jobWithTasks([.failed], width: 120)
        harness.press(.enter)
        harness.receive(.taskLoaded(TaskInfo(jobID: 1, id: 0, name: "t0", status: .failed, attempts: 1,
                                             exception: TaskException(type: "E", message: "m", trace: "a\nb\nneedle here\nc"))))
        // On a text tab F (follow) does nothing, so the footer does not offer it.
        let footer = harness.frame().last!
        #expect(!footer.contains("follow"))
        #expect(Keymap.text.action(for: .character("F")) == nil)
        // Every footer entry is a key this screen's table dispatches.
        for (key, _) in harness.controller.footerKeys() {
            let label = Keymap.text.bindings.first { $0.label.hasPrefix(key) } ?? Keymap.everywhere.bindings.first { $0.label.hasPrefix(key) }
            #expect(label != nil, "\(key) is in the table")
        }
        // The help lists this screen's keys.
        harness.press(.character("?"))
        let help = harness.screen
        #expect(help.contains("Task detail: other tabs"))
        #expect(!help.contains("follow the output"))
        harness.press(.escape)
        // A trace can be searched.
        harness.press(.character("/"))
        harness.type("needle")
        harness.press(.enter)
        #expect(harness.frame()[2].contains("match 1/1"), "\(harness.frame()[2])")
        let y = harness.frame().firstIndex { $0.contains("needle here") }!
        let x = harness.frame()[y].range(of: "needle")!.lowerBound.utf16Offset(in: harness.frame()[y])
        #expect(harness.canvas.style(atX: x, y: y).attributes.contains(.reverse) || harness.canvas.style(atX: x, y: y) != harness.controller.theme.style(for: .text))
    }

    @Test func everyScreenHasHelpAndQuitInItsFooterAt80Columns() {
        for map in [Keymap.jobs, .tasks, .failures, .jobDetail, .stream, .text] {
            for binding in map.bindings {
                for (key, _) in binding.keys {
                    // No key of a screen is shadowed by another line of the same table.
                    #expect(map.bindings.filter { $0.keys.contains { $0.0 == key } }.count == 1, "\(key) twice in \(map.title)")
                }
            }
        }
        let harness = jobWithTasks([.completed], width: 80, height: 24)
        let footer = harness.frame().last!
        #expect(footer.contains("? help") && footer.contains("q quit"))
        #expect(footer.contains("c cancel") && footer.contains("r retry"))
    }

    // MARK: Defect 7: 80×24

    @Test func at80ColumnsEveryTabIsVisibleAndTheListsKeepWhatMatters() {
        let harness = jobWithTasks([.failed], width: 80, height: 24) { page in
            page.tasks![0].exception = TaskException(type: "ValueError", message: "bad")
        }
        let list = harness.frame()
        #expect(list[2].contains("MESSAGE") && list[2].contains("TIME"))
        #expect(list.contains { $0.contains("ValueError") })
        harness.press(.enter)
        let tabs = harness.frame()[2]
        for number in 1...7 { #expect(tabs.contains(" \(number) "), "tab \(number) shown") }
        #expect(tabs.contains("Info") && tabs.contains("Cancel"))
    }

    @Test func theJobsListKeepsTimeAndShortensBigCounts() {
        let harness = ScreenHarness(width: 80, height: 24)
        var big = Fixture.job(1, tasks: 100_000, counts: [.completed: 100_000], name: "a-long-job-name-for-80col")
        big.finishedAt = Fixture.epoch.addingTimeInterval(30)
        harness.receive(.snapshot(big))
        let rows = harness.frame()
        #expect(rows[2].contains("TIME"))
        #expect(rows.contains { $0.contains("100k/100k") })
        #expect(rows.contains { $0.contains("a-long-job-name-for-80col") }, "\(rows.joined(separator: "\n"))")
    }

    // MARK: Defect 12: the help is boxed and opaque

    @Test func theHelpIsABoxThatHidesTheScreenBelow() {
        let harness = jobWithTasks([.completed, .completed, .completed], width: 80, height: 24)
        harness.press(.character("?"))
        let rows = harness.frame()
        #expect(rows[1].contains("┌") || rows[1].contains("+"))
        #expect(!rows.dropFirst(2).dropLast().contains { $0.contains(" t1 ") }, "the list does not show through")
        #expect(!rows.contains { $0.contains("(asks first)") && $0.hasSuffix("(asks") }, "entries wrap instead of being cut")
    }

    // MARK: Defect 10: the tab with the news

    @Test func aTimedOutTaskOpensOnItsException() {
        #expect(TaskDetailScreen.defaultTab(for: TaskRowInfo(TaskInfo(jobID: 1, id: 0, name: "t", status: .timedOut))) == .exception)
        #expect(TaskDetailScreen.defaultTab(for: TaskRowInfo(TaskInfo(jobID: 1, id: 0, name: "t", status: .interrupted))) == .info)
    }

    // MARK: Marks and bulk actions

    @Test func marksThenOneConfirmationRetriesThemAll() {
        let harness = jobWithTasks([.failed, .completed, .failed, .failed])
        harness.press(.character(" "), .down, .character(" "))
        #expect(harness.screen.contains("2 marked"))
        harness.press(.character("r"))
        #expect(harness.frame().last!.contains("Retry 2 marked tasks"))
        harness.press(.enter)
        #expect(harness.sent.last == .retryTasks([TaskRef(jobID: 1, taskID: 0), TaskRef(jobID: 1, taskID: 2)]))
        #expect(!harness.screen.contains("marked"), "marks are used up")
        // * marks every task shown after a filter; c cancels them with one confirmation.
        harness.press(.character("*"), .character("c"))
        #expect(harness.frame().last!.contains("Cancel 4 marked tasks"))
        harness.type("enough")
        harness.press(.enter)
        #expect(harness.sent.last == .cancelTasks((0..<4).map { TaskRef(jobID: 1, taskID: $0) }, message: "enough"))
    }

    @Test func capitalRRetriesEveryFailedTaskOfTheJobAfterAsking() {
        let harness = jobWithTasks([.failed, .completed, .timedOut, .canceled])
        harness.press(.character("R"))
        #expect(harness.frame().last!.contains("Retry 2 failed tasks of job 1?"))
        harness.press(.enter)
        #expect(harness.sent.last == .retryFailed([1]))
    }

    // MARK: Failure groups

    @Test func failuresAreGroupedByExceptionWithCountsAndAJumpToEachTask() throws {
        let harness = jobWithTasks([.failed, .failed, .completed, .failed, .timedOut]) { page in
            page.tasks![0].exception = TaskException(type: "ValueError", message: "missing texture")
            page.tasks![1].exception = TaskException(type: "ValueError", message: "missing texture\ndetails")
            page.tasks![3].exception = TaskException(type: "IOError", message: "disk full")
            page.tasks![4].exception = TaskException(type: "Timeout", message: "ran over 1s")
        }
        harness.press(.character("e"))
        harness.receive(.tasksLoaded(1, [{ var page = Fixture.page(1, statuses: [.failed, .failed, .completed, .failed, .timedOut], seq: 2)
            page.tasks![0].exception = TaskException(type: "ValueError", message: "missing texture")
            page.tasks![1].exception = TaskException(type: "ValueError", message: "missing texture\ndetails")
            page.tasks![3].exception = TaskException(type: "IOError", message: "disk full")
            page.tasks![4].exception = TaskException(type: "Timeout", message: "ran over 1s")
            return page }()]))
        let rows = harness.frame()
        let top = try #require(rows.firstIndex { $0.contains("ValueError: missing texture") })
        #expect(rows[top].contains(" 2 "))
        #expect(rows.contains { $0.contains("IOError: disk full") })
        #expect(harness.screen.contains("3 groups") && harness.screen.contains("4 failed tasks"))
        harness.press(.enter)
        #expect(harness.screen.contains("1/0") && harness.screen.contains("1/1"))
        harness.press(.down, .enter)
        #expect(harness.screen.contains("Task 1/0"))
    }

    @Test func groupingTenThousandFailuresOfAHundredThousandTasks() {
        let rows = (0..<100_000).map { index -> TaskRow in
            var task = TaskInfo(jobID: 1, id: index, name: "t\(index)", status: index % 10 == 0 ? .failed : .completed)
            if index % 10 == 0 { task.exception = TaskException(type: "E\(index % 7)", message: "m\(index % 3)") }
            return TaskRow(task, seq: 1)
        }
        let groups = FailureGroup.groups([(1, rows)])
        #expect(groups.count == 21)
        #expect(groups.reduce(0) { $0 + $1.tasks.count } == 10_000)
    }

    // MARK: Job detail, notification, copy

    @Test func jobDetailShowsOptionsAndWarnings() {
        let harness = ScreenHarness()
        var job = Fixture.job(1, tasks: 2, counts: [.completed: 2], name: "nightly")
        job.description = "the nightly build"
        job.taskTimeout = 30
        job.finishedAt = Fixture.epoch.addingTimeInterval(20)
        job.warnings = ["teardown exited with status 1"]
        harness.receive(.snapshot(job))
        harness.press(.character("i"))
        let screen = harness.screen
        #expect(screen.contains("the nightly build") && screen.contains("30s"))
        #expect(screen.contains("done with warnings") && screen.contains("teardown exited with status 1"))
        harness.press(.escape)
        #expect(harness.screen.contains("Jobs"))
        // On the list, that job is no plain ✓.
        #expect(harness.frame().contains { $0.contains("! nightly") })
    }

    @Test func aWatchedJobThatEndsRingsAndNotifies() {
        let harness = ScreenHarness()
        harness.receive(.snapshot(Fixture.job(1, tasks: 1, counts: [.running: 1], name: "watched")))
        harness.press(.character("b"))
        var done = Fixture.job(1, tasks: 1, counts: [.completed: 1], name: "watched")
        done.finishedAt = Fixture.epoch.addingTimeInterval(9)
        harness.receive(.events([SchedulerEvent(seq: 5, time: Fixture.epoch, body: .jobCompleted(done))]))
        guard case .write(let bytes)? = harness.controller.terminalRequests.last else {
            Issue.record("no notification")
            return
        }
        let text = String(decoding: bytes, as: UTF8.self)
        #expect(text.contains("\u{1B}]9;taskmon: job 1 watched ended"))
        #expect(text.contains("\u{1B}]777;notify;taskmon;"))
        #expect(bytes.last == 0x07)
    }

    @Test func osc52GoesThroughTmuxPassthrough() {
        let plain = String(decoding: MonitorController.osc52("hi", inTmux: false), as: UTF8.self)
        #expect(plain == "\u{1B}]52;c;aGk=\u{07}")
        let tmux = String(decoding: MonitorController.osc52("hi", inTmux: true), as: UTF8.self)
        #expect(tmux == "\u{1B}]52;c;aGk=\u{07}\u{1B}Ptmux;\u{1B}\u{1B}]52;c;aGk=\u{07}\u{1B}\\")
    }

    @Test func theJobsListFiltersSortsAndHidesFinishedJobs() {
        let harness = ScreenHarness()
        var done = Fixture.job(1, tasks: 1, counts: [.completed: 1], name: "finished-one")
        done.finishedAt = Fixture.epoch
        harness.receive(.snapshot(done, Fixture.job(2, tasks: 1, counts: [.running: 1], name: "active-one")))
        harness.press(.character("H"))
        #expect(!harness.screen.contains("finished-one") && harness.screen.contains("active-one"))
        harness.press(.character("H"), .character("f"))  // active
        #expect(!harness.screen.contains("finished-one"))
        harness.press(.character("f"))  // finished
        #expect(harness.screen.contains("finished-one") && !harness.screen.contains("active-one"))
    }

    @Test func allTasksListsEveryJobFilteredByStatusAndANamePattern() throws {
        let harness = ScreenHarness()
        let first = Fixture.page(1, statuses: [.failed, .completed], seq: 1)
        let second = Fixture.page(2, statuses: [.failed, .running], seq: 1)
        harness.receive(.snapshot({ var job = first; job.tasks = nil; return job }(), { var job = second; job.tasks = nil; return job }()))
        harness.press(.character("a"))
        #expect(harness.sent.contains(.loadTasks(1)) && harness.sent.contains(.loadTasks(2)))
        harness.receive(.tasksLoaded(1, [first]), .tasksLoaded(2, [second]))
        var screen = harness.screen
        #expect(screen.contains("All tasks") && screen.contains("4 tasks"))
        #expect(screen.contains("1/0") && screen.contains("2/1"))
        // Failures first (the default sort), across jobs.
        let rows = harness.frame()
        let failedRows = rows.indices.filter { rows[$0].contains("failed") && !rows[$0].contains("All tasks") }
        #expect(failedRows.count == 2 && failedRows.max()! < rows.firstIndex { $0.contains("running") }!)
        // A name pattern.
        harness.press(.character("/"))
        harness.type("^t1$")
        harness.press(.enter)
        screen = harness.screen
        #expect(screen.contains("2 tasks") && screen.contains("1/1") && !screen.contains("1/0 "))
        harness.press(.enter)
        #expect(harness.screen.contains("Task"))
    }
}
