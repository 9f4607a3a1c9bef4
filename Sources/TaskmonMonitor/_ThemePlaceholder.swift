// LOCAL ONLY — replaced by monitor-themes at merge. Not committed.
import TaskmonKit
public struct ResolvedTheme: Sendable {
    public init() {}
    public func style(for role: ThemeRole) -> Style {
        switch role {
        case .status(let s):
            switch s { case .completed: return Style(foreground: .index(2)); case .failed, .environmentError, .timedOut: return Style(foreground: .index(1), attributes: .bold)
            case .running: return Style(foreground: .index(4), attributes: .bold); case .canceled, .canceling: return Style(foreground: .index(5)); default: return Style(attributes: .dim) }
        case .header, .footer: return Style(attributes: .reverse)
        case .selection: return Style(attributes: .reverse)
        case .footerKey: return Style(attributes: [.reverse, .bold])
        case .tabActive: return Style(attributes: [.reverse, .bold])
        case .searchMatch: return Style(foreground: .index(3), attributes: [.reverse])
        case .error: return Style(foreground: .index(1), attributes: .bold)
        case .warning: return Style(foreground: .index(3))
        case .muted, .barEmpty: return Style(attributes: .dim)
        case .columnTitle: return Style(attributes: .bold)
        default: return .plain
        }
    }
}
public enum StatusSymbols { public static func symbol(for status: TaskStatus, ascii: Bool) -> String { ascii ? "*" : "●" } }
public struct ThemeChoice: Sendable { public var flag: String?; public init(flag: String?) { self.flag = flag } }
final class ThemeSwitcher {
    var current = ResolvedTheme()
    var startupProblem: String? = nil
    init(choice: ThemeChoice, depth: ColorDepth) {}
    func next() -> (ResolvedTheme, String, String?) { (current, "default", nil) }
}
