import TaskmonKit

extension ThemeRole {
    /// Every role, statuses first, in the order theme files list them.
    package static let allRoles: [ThemeRole] = TaskStatus.allCases.map(ThemeRole.status) + uiRoles

    /// The roles that are not statuses: the keys of a theme's `[ui]` table.
    package static let uiRoles: [ThemeRole] = [
        .text, .muted, .header, .footer, .footerKey, .columnTitle, .selection,
        .tabActive, .tabInactive, .searchMatch, .error, .warning, .prompt, .barEmpty,
    ]

    /// The role's key in a theme file, with its table: `status.FAILED`, `ui.footer_key`.
    package var themeKey: String {
        switch self {
        case .status(let status): "status.\(status.name)"
        default: "ui.\(uiKey)"
        }
    }

    /// The key inside `[ui]`; statuses have none. Exhaustive, so a new role cannot be
    /// forgotten here (and a test checks `uiRoles` lists it).
    var uiKey: String {
        switch self {
        case .status: ""
        case .text: "text"
        case .muted: "muted"
        case .header: "header"
        case .footer: "footer"
        case .footerKey: "footer_key"
        case .columnTitle: "column_title"
        case .selection: "selection"
        case .tabActive: "tab_active"
        case .tabInactive: "tab_inactive"
        case .searchMatch: "search_match"
        case .error: "error"
        case .warning: "warning"
        case .prompt: "prompt"
        case .barEmpty: "bar_empty"
        }
    }

    /// A dense index (0..<allRoles.count) so a resolved theme is an array lookup, not a hash.
    var denseIndex: Int {
        switch self {
        case .status(let status): status.rawValue
        case .text: 11
        case .muted: 12
        case .header: 13
        case .footer: 14
        case .footerKey: 15
        case .columnTitle: 16
        case .selection: 17
        case .tabActive: 18
        case .tabInactive: 19
        case .searchMatch: 20
        case .error: 21
        case .warning: 22
        case .prompt: 23
        case .barEmpty: 24
        }
    }

    /// The role a `[ui]` key names, exactly as spelled in theme files.
    static func ui(key: String) -> ThemeRole? {
        uiRoles.first { $0.uiKey == key }
    }
}
