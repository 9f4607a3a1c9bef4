import TaskmonKit
print("taskmon")
