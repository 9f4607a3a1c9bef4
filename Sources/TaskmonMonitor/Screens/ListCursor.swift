/// Selection and scrolling of a list whose rows can reorder under it.
///
/// The selection is kept by identity (a job or task id), so it stays on the same item when
/// the list is sorted, filtered or changed by events. Only when the item leaves the list does
/// it fall back to the row at the same position. At the top of the list (where it opens, or
/// after `g`) it keeps the *position* instead, as htop does: in a live list sorted by status
/// or time, the first row stays selected as tasks move, rather than the view chasing one task
/// across the list.
struct ListCursor: Equatable {
    /// The user is at the top: the selection follows row 0, whatever item is there.
    var pinnedToTop = true
    /// The selected item's identity.
    var selectedID: Int?
    /// Where it was last seen, for the fallback.
    var selectedIndex = 0
    /// The first row shown.
    var top = 0
    /// Moves typed while the list was still empty (a big job loading): applied once it is not.
    var pending: Pending?

    enum Pending: Equatable {
        case by(Int)
        case to(Int)
    }

    /// Reconciles the selection with the current order and returns the selected row index.
    /// `indexOf` finds an id's row in the order (nil: not in it).
    mutating func settle(count: Int, height: Int, indexOf: (Int) -> Int?, idAt: (Int) -> Int) -> Int? {
        guard count > 0 else {
            top = 0
            return nil
        }
        if let pending {
            self.pending = nil
            switch pending {
            case .by(let delta):
                selectedIndex = 0
                move(by: delta, count: count, idAt: idAt)
            case .to(let index):
                select(index: index, count: count, idAt: idAt)
            }
        }
        if pinnedToTop {
            selectedIndex = 0
            selectedID = idAt(0)
        } else if let id = selectedID, let index = indexOf(id) {
            selectedIndex = index
        } else {
            selectedIndex = min(max(0, selectedIndex), count - 1)
            selectedID = idAt(selectedIndex)
        }
        scrollIntoView(count: count, height: height)
        return selectedIndex
    }

    /// Moves the selection by `delta` rows (clamped), e.g. 1 for Down, -height for PgUp.
    mutating func move(by delta: Int, count: Int, idAt: (Int) -> Int) {
        guard count > 0 else {
            if case .by(let earlier) = pending { pending = .by(earlier + delta) } else { pending = .by(delta) }
            return
        }
        selectedIndex = min(max(0, selectedIndex + delta), count - 1)
        selectedID = idAt(selectedIndex)
        pinnedToTop = selectedIndex == 0 && delta < 0
    }

    /// Selects row `index` (clamped): `g` is 0, `G` is count - 1.
    mutating func select(index: Int, count: Int, idAt: (Int) -> Int) {
        guard count > 0 else {
            pending = .to(index)
            return
        }
        selectedIndex = min(max(0, index), count - 1)
        selectedID = idAt(selectedIndex)
        pinnedToTop = selectedIndex == 0
    }

    /// Selects the item `id` at row `index` (a search hit, a jump from another view).
    mutating func select(id: Int, at index: Int) {
        selectedID = id
        selectedIndex = index
        pinnedToTop = false
    }

    private mutating func scrollIntoView(count: Int, height: Int) {
        let height = max(1, height)
        if selectedIndex < top { top = selectedIndex }
        if selectedIndex >= top + height { top = selectedIndex - height + 1 }
        top = min(max(0, top), max(0, count - height))
    }
}
