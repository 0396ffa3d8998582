-- The account's CSM is told when someone else sends on their account (least privilege for expedited sends).
ALTER TABLE approval_notifications DROP CONSTRAINT approval_notifications_kind_check;
ALTER TABLE approval_notifications ADD CONSTRAINT approval_notifications_kind_check CHECK (kind IN
    ('approval_requested', 'urgent_approval_requested', 'expedited_approved', 'approved', 'rejected',
     'sent_on_your_account'));
