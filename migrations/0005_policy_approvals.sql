-- Why an approval was asked for: the policy flags that held the action (first launch, budget
-- increase, deletion, cross-account duplication) or its execute_high tier, as a JSON array.
ALTER TABLE approvals ADD COLUMN reasons_json TEXT NOT NULL DEFAULT '[]';
