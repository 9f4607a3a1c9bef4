/// The task detail's tabs, in order; number keys 1–7 choose them.
enum DetailTab: Int, CaseIterable {
    case output, errors, properties, result, exception, cancellation, info

    var title: String {
        switch self {
        case .output: "Output"
        case .errors: "Errors"
        case .properties: "Properties"
        case .result: "Result"
        case .exception: "Exception"
        case .cancellation: "Cancellation"
        case .info: "Info"
        }
    }

    /// For a narrow tab bar.
    var shortTitle: String {
        switch self {
        case .output: "Out"
        case .errors: "Err"
        case .properties: "Props"
        case .result: "Result"
        case .exception: "Exc"
        case .cancellation: "Cancel"
        case .info: "Info"
        }
    }

    /// Output and Errors page through a stream; the others show a few lines of text.
    var isStream: Bool { self == .output || self == .errors }

    func moved(by delta: Int) -> DetailTab {
        let count = Self.allCases.count
        return DetailTab(rawValue: ((rawValue + delta) % count + count) % count)!
    }
}
