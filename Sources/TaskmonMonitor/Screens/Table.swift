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
        /// A flexible column's share of the spare width, relative to the others'.
        var weight = 1
        /// A flexible column grows no wider than this.
        var maxWidth = Int.max

        init(title: String, width: Int, flexible: Bool = false, alignRight: Bool = false, dropOrder: Int = 0,
             weight: Int = 1, maxWidth: Int = .max) {
            self.title = title
            self.width = width
            self.flexible = flexible
            self.alignRight = alignRight
            self.dropOrder = dropOrder
            self.weight = weight
            self.maxWidth = maxWidth
        }
    }

    /// The columns that fit, with their start x and final width.
    static func layout(_ columns: [Column], width: Int) -> [(index: Int, x: Int, width: Int)] {
        var kept = Array(columns.indices)
        func needed() -> Int { kept.reduce(0) { $0 + columns[$1].width } + max(0, kept.count - 1) }
        while needed() > width, let drop = kept.filter({ columns[$0].dropOrder > 0 }).max(by: { columns[$0].dropOrder < columns[$1].dropOrder }) {
            kept.removeAll { $0 == drop }
        }
        // Spare width goes to flexible columns by weight, up to each one's maximum; what a
        // capped column cannot take goes to the others.
        var extra = [Int: Int]()
        var spare = max(0, width - needed())
        var open = kept.filter { columns[$0].flexible }
        while spare > 0, !open.isEmpty {
            let weights = open.reduce(0) { $0 + columns[$1].weight }
            var given = 0
            for index in open {
                let share = max(1, spare * columns[index].weight / weights)
                let room = columns[index].maxWidth - columns[index].width - extra[index, default: 0]
                let take = min(share, room, spare - given)
                extra[index, default: 0] += take
                given += take
            }
            spare -= given
            open.removeAll { columns[$0].width + extra[$0, default: 0] >= columns[$0].maxWidth }
            if given == 0 { break }
        }
        var result: [(index: Int, x: Int, width: Int)] = []
        var x = 0
        for (position, index) in kept.enumerated() {
            var w = columns[index].width + extra[index, default: 0]
            if position == kept.count - 1 { w = max(0, min(w, width - x)) }
            result.append((index, x, w))
            x += w + 1
        }
        return result
    }
}
