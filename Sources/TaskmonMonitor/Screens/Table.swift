/// Column layout for the lists: fixed columns keep their width, flexible ones share what is
/// left, and low-priority columns disappear first when the terminal is narrow.
struct Table {
    struct Column {
        var title: String
        var width: Int
        /// Takes a share of the spare width (names, messages).
        var flexible = false
        var alignRight = false
        /// Columns with a higher number are dropped first when space runs out.
        var dropOrder = 0
    }

    /// The columns that fit, with their start x and final width.
    static func layout(_ columns: [Column], width: Int) -> [(index: Int, x: Int, width: Int)] {
        var kept = Array(columns.indices)
        func needed() -> Int { kept.reduce(0) { $0 + columns[$1].width } + max(0, kept.count - 1) }
        while needed() > width, let drop = kept.filter({ columns[$0].dropOrder > 0 }).max(by: { columns[$0].dropOrder < columns[$1].dropOrder }) {
            kept.removeAll { $0 == drop }
        }
        let flexible = kept.filter { columns[$0].flexible }
        let spare = max(0, width - needed())
        var result: [(index: Int, x: Int, width: Int)] = []
        var x = 0
        for (position, index) in kept.enumerated() {
            var w = columns[index].width
            if let flexPosition = flexible.firstIndex(of: index) {
                w += spare / flexible.count + (flexPosition < spare % flexible.count ? 1 : 0)
            }
            if position == kept.count - 1 { w = max(0, min(w, width - x)) }
            result.append((index, x, w))
            x += w + 1
        }
        return result
    }
}
