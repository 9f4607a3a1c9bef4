/// Selection and scrolling of a list whose rows can reorder under it.
///
/// The selection is kept by identity (a job or task id), so it stays on the same item when
/// the list is sorted, filtered or changed by events. Only when the item leaves the list does
/// it fall back to the row at the same position.
struct ListCursor: Equatable {
    /// The selected item's identity.
    var selectedID: Int?
    /// Where it was last seen, for the fallback.
    var selectedIndex = 0
    /// The first row shown.
    var top = 0

    /// Reconciles the selection with the current order and returns the selected row index.
    /// `indexOf` finds an id's row in the order (nil: not in it).
    mutating func settle(count: Int, height: Int, indexOf: (Int) -> Int?, idAt: (Int) -> Int) -> Int? {
        guard count > 0 else {
            top = 0
            return nil
        }
        if let id = selectedID, let index = indexOf(id) {
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
        guard count > 0 else { return }
        selectedIndex = min(max(0, selectedIndex + delta), count - 1)
        selectedID = idAt(selectedIndex)
    }

    /// Selects row `index` (clamped): `g` is 0, `G` is count - 1.
    mutating func select(index: Int, count: Int, idAt: (Int) -> Int) {
        guard count > 0 else { return }
        selectedIndex = min(max(0, index), count - 1)
        selectedID = idAt(selectedIndex)
    }

    private mutating func scrollIntoView(count: Int, height: Int) {
        let height = max(1, height)
        if selectedIndex < top { top = selectedIndex }
        if selectedIndex >= top + height { top = selectedIndex - height + 1 }
        top = min(max(0, top), max(0, count - height))
    }
}
