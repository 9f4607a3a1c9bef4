import CNCurses
import Glibc

/// Why the monitor cannot use this terminal.
package struct TerminalError: Error, CustomStringConvertible, Sendable {
    package let description: String
}

/// The only user of ncurses: opens the terminal, reads keys, and draws `Canvas` frames.
///
/// Lives on the main thread (ncurses is not thread-safe). Other threads reach the run loop
/// only through ``wake()``. Every exit path calls ``close()``, which restores the tty.
package final class Terminal {
    /// What the terminal can show.
    package let colorDepth: ColorDepth
    /// The locale encodes UTF-8 (after falling back to C.UTF-8 where the user's could not).
    package let localeIsUTF8: Bool
    /// The terminfo entry in use, when TERM itself had none (see ``fallbacks(for:)``).
    package let substitutedTerm: String?
    package private(set) var rows: Int
    package private(set) var columns: Int

    private let screen: OpaquePointer
    private let window: UnsafeMutablePointer<WINDOW>
    private let wakeDescriptor: Int32
    private var pairs: [ColorPairKey: Int32] = [:]
    private var nextPair: Int32 = 1
    private let maxPairs: Int32
    private var isOpen = true

    private struct ColorPairKey: Hashable {
        let foreground: TerminalColor
        let background: TerminalColor
    }

    /// Opens the terminal on stdin/stdout. Refuses (leaving the terminal untouched) when TERM
    /// is unset, unknown or cannot address the cursor (`dumb`), or stdout is not a terminal.
    /// `useColor: false` (NO_COLOR) draws with attributes only.
    package init(environment: [String: String], useColor: Bool) throws(TerminalError) {
        let term = try Self.preflight(environment: environment)
        let utf8 = cncurses_use_utf8_locale() == 1
        wakeDescriptor = cncurses_wake_pipe_open()
        guard wakeDescriptor >= 0, cncurses_install_signal_handlers() == 0 else {
            throw TerminalError(description: "cannot set up signal handling: \(String(cString: strerror(errno)))")
        }
        if environment["ESCDELAY"] == nil { set_escdelay(25) }
        guard let screen = newterm(term, cncurses_stdout(), cncurses_stdin()) else {
            throw TerminalError(description: "cannot open terminal type '\(term)'")
        }
        self.screen = screen
        substitutedTerm = term == environment["TERM"] ? nil : term
        window = cncurses_stdscr()
        localeIsUTF8 = utf8
        cbreak()
        noecho()
        nonl()
        keypad(window, true)
        nodelay(window, true)
        _ = cncurses_cursor(0)
        var depth = ColorDepth.monochrome
        if useColor, has_colors() {
            start_color()
            use_default_colors()
            depth = ColorDepth(colors: Int(cncurses_colors()))
        }
        colorDepth = depth
        maxPairs = max(1, cncurses_color_pairs())
        rows = Int(cncurses_rows(window))
        columns = Int(cncurses_columns(window))
    }

    /// Checks, without touching the terminal, that the monitor can run in it: stdin and stdout
    /// are a tty, and TERM names a terminfo entry that can move the cursor (`dumb` cannot).
    /// Returns TERM.
    @discardableResult
    package static func preflight(environment: [String: String]) throws(TerminalError) -> String {
        guard isatty(0) == 1, isatty(1) == 1 else {
            throw TerminalError(description: "the monitor needs a terminal (stdin and stdout are not a tty); use `taskmon jobs` or `taskmon show` instead")
        }
        let term = environment["TERM"] ?? ""
        guard !term.isEmpty else {
            throw TerminalError(description: "TERM is not set; set it to your terminal's type, e.g. TERM=xterm-256color")
        }
        // setupterm can refuse cleanly, where newterm would already have touched the tty.
        var status: Int32 = 0
        var chosen = term
        if setupterm(term, 1, &status) != OK {
            // tmux-256color, say, is missing where ncurses-term is not installed: a close
            // relative draws the same screens.
            guard let fallback = fallbacks(for: term).first(where: { setupterm($0, 1, &status) == OK }) else {
                throw TerminalError(description: "unknown terminal type '\(term)' (no terminfo entry); try TERM=xterm-256color")
            }
            chosen = fallback
        }
        guard cncurses_can_address_cursor() == 1 else {
            throw TerminalError(description: "terminal type '\(term)' cannot move the cursor, so the monitor cannot draw on it; use `taskmon jobs` and `taskmon show` instead")
        }
        return chosen
    }

    /// Terminal types to try, in order, when TERM has no terminfo entry here. Only for
    /// families we know draw alike; an unknown name stays an error.
    static func fallbacks(for term: String) -> [String] {
        if term.hasPrefix("tmux") || term.hasPrefix("screen") {
            return term.contains("256") ? ["screen-256color", "xterm-256color", "screen"] : ["screen", "xterm"]
        }
        if term.hasPrefix("xterm") || term.hasPrefix("alacritty") || term.hasPrefix("kitty") || term.hasPrefix("wezterm")
            || term.hasPrefix("foot") || term.hasPrefix("ghostty") {
            return ["xterm-256color", "xterm"]
        }
        return []
    }

    /// Restores the tty. Safe to call more than once.
    package func close() {
        guard isOpen else { return }
        isOpen = false
        _ = cncurses_cursor(1)
        endwin()
        delscreen(screen)
    }

    deinit { close() }

    /// Wakes the run loop's ``wait(timeoutMilliseconds:)`` from any thread or a signal handler.
    package static func wake() { cncurses_wake(0) }

    /// What woke the run loop.
    package struct Wakeup: Sendable {
        /// Input is waiting: call ``readKeys()``.
        package var input = false
        /// Someone called ``wake()``.
        package var woken = false
        /// SIGINT, SIGTERM, SIGHUP or SIGQUIT arrived: quit.
        package var quitSignal: Int32?
        /// SIGWINCH (or SIGCONT, or Ctrl-Z and `fg`) arrived; the terminal's new size is already
        /// applied and the next frame is drawn in full (a resized terminal may have blanked it).
        package var resized = false
    }

    /// Blocks until input, a wake-up, a signal or the timeout (nil: none).
    package func wait(timeoutMilliseconds: Int32?) -> Wakeup {
        var descriptors = [pollfd(fd: 0, events: Int16(POLLIN), revents: 0),
                           pollfd(fd: wakeDescriptor, events: Int16(POLLIN), revents: 0)]
        let ready = poll(&descriptors, 2, timeoutMilliseconds ?? -1)
        var wakeup = Wakeup()
        guard ready > 0 else { return wakeup }
        wakeup.input = descriptors[0].revents != 0
        // The terminal is gone (an SSH session dropped, a tmux pane killed): no key will ever
        // come, and poll would report it at once for ever. A SIGHUP need not come with it (a
        // terminal that is not our controlling one sends none), so this is a quit of its own.
        if descriptors[0].revents & Int16(POLLHUP | POLLERR | POLLNVAL) != 0 { wakeup.quitSignal = SIGHUP }
        if descriptors[1].revents != 0 {
            var signals: UInt64 = 0
            _ = cncurses_wake_drain(&signals)
            wakeup.woken = true
            for signal in [SIGINT, SIGTERM, SIGHUP, SIGQUIT] where signals & (1 << UInt64(signal)) != 0 {
                wakeup.quitSignal = signal
            }
            if wakeup.quitSignal == nil, signals & (1 << UInt64(SIGTSTP)) != 0 {
                suspend()
                signals |= 1 << UInt64(SIGCONT)
            }
            // After `fg` the size may have changed while no SIGWINCH could reach us.
            if signals & (1 << UInt64(SIGWINCH)) != 0 || signals & (1 << UInt64(SIGCONT)) != 0 {
                applyWindowSize()
                wakeup.resized = true
            }
        }
        return wakeup
    }

    /// Ctrl-Z, on this thread: gives the terminal back to the shell, stops until `fg`, then takes
    /// it again. The caller applies the size it may have changed to and draws the frame in full.
    private func suspend() {
        def_prog_mode()
        endwin()
        cncurses_stop_self()
        reset_prog_mode()
        clearok(window, true)
    }

    /// Reads every key waiting, without blocking.
    package func readKeys() -> [Key] {
        var keys: [Key] = []
        var value: wint_t = 0
        while true {
            let result = wget_wch(window, &value)
            if result == ERR { break }
            if result == KEY_CODE_YES {
                let key = Self.functionKey(Int32(value))
                if key == .resize { applyWindowSize() }
                keys.append(key)
            } else {
                keys.append(Key(scalarValue: UInt32(value)))
            }
        }
        return keys
    }

    private static func functionKey(_ code: Int32) -> Key {
        switch code {
        case KEY_UP: .up
        case KEY_DOWN: .down
        case KEY_LEFT: .left
        case KEY_RIGHT: .right
        case KEY_NPAGE: .pageDown
        case KEY_PPAGE: .pageUp
        case KEY_HOME: .home
        case KEY_END, KEY_LL: .end
        case KEY_ENTER: .enter
        case KEY_BACKSPACE: .backspace
        case KEY_DC: .delete
        case KEY_BTAB: .backTab
        case KEY_RESIZE: .resize
        default: .other(code)
        }
    }

    private func applyWindowSize() {
        var newRows: Int32 = 0
        var newColumns: Int32 = 0
        if cncurses_window_size(1, &newRows, &newColumns) == 0,
           newRows != Int32(rows) || newColumns != Int32(columns) {
            resize_term(newRows, newColumns)
            // ncurses keeps believing the old contents are on screen; terminals (tmux) blank
            // or reflow them on a resize, so the next frame must be sent whole.
            clearok(window, true)
        }
        rows = Int(cncurses_rows(window))
        columns = Int(cncurses_columns(window))
    }

    /// Draws a frame. ncurses compares it with what is on screen and sends only the difference,
    /// so an unchanged frame writes nothing. `cursor` shows the cursor there (a prompt's input).
    package func draw(_ canvas: Canvas, cursor: (x: Int, y: Int)? = nil) {
        let height = min(canvas.height, rows)
        for y in 0..<height {
            canvas.forEachRun(inRow: y) { x, _, style, scalars in
                guard x < columns else { return }
                // wchar_t is 32 bits on Linux: the scalars go to ncurses as they are.
                scalars.withMemoryRebound(to: wchar_t.self) { text in
                    _ = cncurses_put(window, Int32(y), Int32(x), text.baseAddress, Int32(text.count),
                                     attributes(style.attributes), pair(for: style))
                }
            }
        }
        if let cursor {
            _ = cncurses_cursor(1)
            wmove(window, Int32(cursor.y), Int32(cursor.x))
        } else {
            _ = cncurses_cursor(0)
        }
        wnoutrefresh(window)
        doupdate()
    }

    /// Writes bytes straight to the terminal, after the frame: an OSC 52 copy, a notification.
    /// They change nothing on screen, so ncurses' picture of it stays right.
    package func writeRaw(_ bytes: [UInt8]) {
        var offset = 0
        bytes.withUnsafeBytes { buffer in
            while offset < buffer.count {
                let n = write(1, buffer.baseAddress! + offset, buffer.count - offset)
                if n < 0 && errno == EINTR { continue }
                if n <= 0 { return }
                offset += n
            }
        }
    }

    /// Gives the terminal to `argv` (the pager) until it exits, then takes it back; the next
    /// frame is drawn in full. Keys' signals that came meanwhile were the program's (Ctrl-C in
    /// less) and are dropped; a resize is applied, and a hangup or SIGTERM ends the monitor too. Ctrl-Z meanwhile stops the program and the monitor. Returns the program's exit status, or nil when it
    /// could not start.
    package func runProgram(_ argv: [String]) -> Int32? {
        def_prog_mode()
        endwin()
        // Ctrl-Z in the pager: the pager stops itself (it gets the default below) and the monitor
        // follows it (see the wait); stopped by the signal directly, the monitor would leave the
        // pager running in the background, where it loses the terminal.
        cncurses_sigtstp_ignore(1)
        // Signals taken while the program runs (see the wait below), for after it.
        var signals: UInt64 = 0
        defer {
            cncurses_sigtstp_ignore(0)
            reset_prog_mode()
            clearok(window, true)
            _ = cncurses_wake_drain(&signals)
            if signals & (1 << UInt64(SIGWINCH)) != 0 || signals & (1 << UInt64(SIGCONT)) != 0 { applyWindowSize() }
            applyWindowSize()
            // A hangup or a kill while the pager ran was the monitor's too, not only the pager's:
            // sent again, it ends the monitor as it would have without the pager.
            for quit in [SIGHUP, SIGTERM] where signals & (1 << UInt64(quit)) != 0 { kill(getpid(), quit) }
        }
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        // The monitor ignores SIGPIPE and catches the others; the pager gets the defaults.
        var defaults = sigset_t()
        sigemptyset(&defaults)
        for signal in [SIGPIPE, SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGWINCH, SIGCONT, SIGTSTP] { sigaddset(&defaults, signal) }
        posix_spawnattr_setsigdefault(&attributes, &defaults)
        // And no signal blocked: this thread (a dispatch worker) blocks most of them, and a mask
        // is inherited, which left less deaf to Ctrl-Z and Ctrl-C.
        var unblocked = sigset_t()
        sigemptyset(&unblocked)
        posix_spawnattr_setsigmask(&attributes, &unblocked)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK))
        var cArguments = argv.map { strdup($0) }
        cArguments.append(nil)
        defer { cArguments.forEach { free($0) } }
        var pid: pid_t = 0
        guard posix_spawn(&pid, argv[0], nil, &attributes, cArguments, environ) == 0 else { return nil }
        var status: Int32 = 0
        while true {
            let reaped = waitpid(pid, &status, WNOHANG | WUNTRACED)
            if reaped < 0 {
                if errno == EINTR { continue }
                return nil
            }
            if reaped == pid {
                // WIFSTOPPED: the pager took Ctrl-Z. Stop as a foreground job does; after `fg`, wake it.
                guard status & 0xff == 0x7f else { return status }
                cncurses_stop_self()
                kill(pid, SIGCONT)
                continue
            }
            // Not waitpid alone: a hangup reaches only us (the terminal's controlling process),
            // and a pager that never reads EOF would keep us waiting for ever. It is passed on.
            var wake = pollfd(fd: wakeDescriptor, events: Int16(POLLIN), revents: 0)
            guard poll(&wake, 1, 100) > 0 else { continue }
            var arrived: UInt64 = 0
            _ = cncurses_wake_drain(&arrived)
            signals |= arrived
            for quit in [SIGHUP, SIGTERM] where arrived & (1 << UInt64(quit)) != 0 { kill(pid, quit) }
        }
    }

    /// Forgets what ncurses believes is on screen, so the next frame is drawn in full
    /// (Ctrl-L, or after another program wrote to the terminal).
    package func invalidate() {
        clearok(window, true)
    }

    private func attributes(_ attributes: TextAttributes) -> attr_t {
        var result: attr_t = 0
        if attributes.contains(.bold) { result |= cncurses_attr_bold() }
        if attributes.contains(.dim) { result |= cncurses_attr_dim() }
        if attributes.contains(.reverse) { result |= cncurses_attr_reverse() }
        if attributes.contains(.underline) { result |= cncurses_attr_underline() }
        if attributes.contains(.italic) { result |= cncurses_attr_italic() }
        return result
    }

    private func pair(for style: Style) -> Int32 {
        guard colorDepth != .monochrome else { return 0 }
        if style.foreground == .terminalDefault && style.background == .terminalDefault { return 0 }
        let key = ColorPairKey(foreground: style.foreground, background: style.background)
        if let pair = pairs[key] { return pair }
        // Out of pairs: fall back to the default colours rather than recycle a pair on screen.
        guard nextPair < maxPairs else { return 0 }
        let pair = nextPair
        nextPair += 1
        init_extended_pair(pair, Self.colorNumber(style.foreground), Self.colorNumber(style.background))
        pairs[key] = pair
        return pair
    }

    private static func colorNumber(_ color: TerminalColor) -> Int32 {
        switch color {
        case .terminalDefault: -1
        case .index(let index): Int32(index)
        }
    }
}
