import Foundation
import TaskmonKit

/// Runs the monitor in this terminal until the user quits: the run loop on the main thread.
public enum MonitorApp {
    /// Frames are at least this far apart, so a flood of events costs ~30 frames a second.
    static let frameInterval: Duration = .milliseconds(33)

    /// Opens the monitor on the scheduler of `stateDirectory`. Returns the process exit code:
    /// 0 after `q`, 2 when the terminal cannot be used (nothing was drawn), 128+signal after
    /// SIGINT/SIGTERM/SIGHUP. The tty is restored on every one of those paths.
    public static func run(stateDirectory: StateDirectory, themeFlag: String?, environment: [String: String]) -> Int32 {
        let useColor = !(environment["NO_COLOR"].map { !$0.isEmpty } ?? false)
        let terminal: Terminal
        do {
            terminal = try Terminal(environment: environment, useColor: useColor)
        } catch {
            FileHandle.standardError.write(Data("taskmon: \(error.description)\n".utf8))
            return 2
        }
        defer { terminal.close() }
        signal(SIGPIPE, SIG_IGN)

        let themes = ThemeSwitcher(flag: themeFlag, environment: environment, depth: terminal.colorDepth)
        let link = SchedulerLink(stateDirectory: stateDirectory, wake: { Terminal.wake() })
        let controller = MonitorController(
            theme: themes.current, symbols: StatusSymbols.forTerminal(environment: environment, localeIsUTF8: terminal.localeIsUTF8),
            requests: { link.perform($0) },
            outputSource: { job, task, stream, attempt in
                link.client.map {
                    SpoolOutputSource(remote: SchedulerOutputSource(client: $0, job: job, task: task, stream: stream, attempt: attempt),
                                      stateDirectory: stateDirectory)
                }
            },
            nextTheme: { themes.next() })
        controller.stateDirectory = stateDirectory
        controller.environment = environment
        if let problem = themes.startupProblem { controller.show(problem, isError: true, now: Date()) }
        if let substitute = terminal.substitutedTerm {
            controller.show("no terminfo for TERM=\(environment["TERM"] ?? ""); using \(substitute)", isError: false, now: Date())
        }
        link.start()
        defer { link.stop() }

        var canvas = Canvas(width: terminal.columns, height: terminal.rows)
        var shown: Canvas?
        var dirty = true
        var lastFrame = ContinuousClock.now - frameInterval
        var nextTick = ContinuousClock.now + .seconds(1)
        while true {
            let now = ContinuousClock.now
            if now >= nextTick {
                // Durations and ages move with the clock, and a followed output grows; an
                // unchanged frame writes nothing.
                _ = controller.tick(now: Date())
                dirty = true
                nextTick = now + controller.tickInterval
            }
            if dirty, now - lastFrame >= frameInterval {
                if canvas.width != terminal.columns || canvas.height != terminal.rows {
                    canvas = Canvas(width: terminal.columns, height: terminal.rows)
                    shown = nil
                }
                let cursor = controller.render(into: &canvas, now: Date())
                if controller.needsFullRedraw {
                    terminal.invalidate()
                    controller.needsFullRedraw = false
                    shown = nil
                }
                if shown != canvas || cursor != nil {
                    terminal.draw(canvas, cursor: cursor)
                    shown = canvas
                }
                for request in controller.terminalRequests {
                    switch request {
                    case .write(let bytes):
                        terminal.writeRaw(bytes)
                    case .pager(let path, let removeAfter):
                        let status = terminal.runProgram(["/bin/sh", "-c", "exec ${PAGER:-less} \"$1\"", "taskmon-pager", path])
                        if removeAfter { unlink(path) }
                        if status == nil { controller.show("could not start the pager", isError: true, now: Date()) }
                        shown = nil
                        dirty = true
                    }
                }
                controller.terminalRequests = []
                lastFrame = now
                dirty = shown == nil
            }
            let deadline = dirty ? min(lastFrame + frameInterval, nextTick) : nextTick
            let wait = max(.zero, deadline - ContinuousClock.now)
            let milliseconds = wait.components.seconds * 1000 + wait.components.attoseconds / 1_000_000_000_000_000
            let wakeup = terminal.wait(timeoutMilliseconds: Int32(milliseconds) + 1)
            if let signal = wakeup.quitSignal { return 128 + signal }
            if wakeup.resized {
                // Drawn whole even when the frame is unchanged: after `fg` at the same size the
                // terminal shows the shell's lines, and an unchanged frame would write nothing.
                dirty = true
                shown = nil
            }
            if wakeup.input {
                for key in terminal.readKeys() {
                    if key == .resize { dirty = true; continue }
                    controller.handle(key, now: Date())
                    dirty = true
                }
                // A key may have opened an output tab that wants a faster tick.
                nextTick = min(nextTick, ContinuousClock.now + controller.tickInterval)
            }
            if wakeup.woken {
                let messages = link.drain()
                if !messages.isEmpty {
                    controller.receive(messages, now: Date())
                    dirty = true
                }
            }
            if controller.shouldQuit { return 0 }
        }
    }
}
