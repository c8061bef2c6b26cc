<?xml version="1.0" encoding="utf-8"?>
<!DOCTYPE TS>
<TS version="2.1" language="vi_VN">
<context>
    <name>AccountSettingsDialog</name>
    <message>
        <location filename="../../views/settings_view.py" line="109"/>
        <source>Account settings — %1</source>
        <translation>Cài đặt tài khoản — %1</translation>
    </message>
    <message>
        <location filename="../../views/settings_view.py" line="118"/>
        <source>unchanged</source>
        <translation>giữ nguyên</translation>
    </message>
    <message>
        <location filename="../../views/settings_view.py" line="120"/>
        <source>Domain</source>
        <translation>Tên miền</translation>
    </message>
    <message>
        <location filename="../../views/settings_view.py" line="121"/>
        <source>Proxy</source>
        <translation>Proxy</translation>
    </message>
    <message>
        <location filename="../../views/settings_view.py" line="122"/>
        <source>Password</source>
        <translation>Mật khẩu</translation>
    </message>
    <message>
        <location filename="../../views/settings_view.py" line="128"/>
        <source>Your company provisions this account: server and password come from it.</source>
        <translation>Tài khoản do công ty bạn cấp: máy chủ và mật khẩu lấy từ công ty.</translation>
    </message>
    <message>
        <location filename="../../views/settings_view.py" line="137"/>
        <source>Transport</source>
        <translation>Giao thức truyền</translation>
    </message>
    <message>
        <location filename="../../views/settings_view.py" line="140"/>
        <source>Off</source>
        <translation>Tắt</translation>
    </message>
    <message>
        <location filename="../../views/settings_view.py" line="141"/>
        <source>When the other side can</source>
        <translation>Khi bên kia hỗ trợ</translation>
    </message>
    <message>
        <location filename="../../views/settings_view.py" line="142"/>
        <source>Always</source>
        <translation>Luôn luôn</translation>
    </message>
    <message>
        <location filename="../../views/settings_view.py" line="147"/>
        <source>Encrypt voice (SRTP)</source>
        <translation>Mã hóa thoại (SRTP)</translation>
    </message>
    <message>
        <location filename="../../views/settings_view.py" line="160"/>
        <source>Up</source>
        <translation>Lên</translation>
    </message>
    <message>
        <location filename="../../views/settings_view.py" line="160"/>
        <source>Down</source>
        <translation>Xuống</translation>
    </message>
    <message>
        <location filename="../../views/settings_view.py" line="170"/>
        <source>Codecs (in order)</source>
        <translation>Codec (theo thứ tự)</translation>
    </message>
    <message>
        <location filename="../../views/settings_view.py" line="175"/>
        <source>DTMF</source>
        <translation>DTMF</translation>
    </message>
    <message>
        <location filename="../../views/settings_view.py" line="177"/>
        <source>Built-in ringtone</source>
        <translation>Nhạc chuông mặc định</translation>
    </message>
    <message>
        <location filename="../../views/settings_view.py" line="181"/>
        <source>Choose…</source>
        <translation>Chọn…</translation>
    </message>
    <message>
        <location filename="../../views/settings_view.py" line="186"/>
        <source>Test</source>
        <translation>Thử</translation>
    </message>
    <message>
        <location filename="../../views/settings_view.py" line="193"/>
        <source>Ringtone</source>
        <translation>Nhạc chuông</translation>
    </message>
    <message>
        <location filename="../../views/settings_view.py" line="197"/>
        <source>Ringtone volume</source>
        <translation>Âm lượng chuông</translation>
    </message>
    <message>
        <location filename="../../views/settings_view.py" line="215"/>
        <source>Choose a ringtone</source>
        <translation>Chọn nhạc chuông</translation>
    </message>
    <message>
        <location filename="../../views/settings_view.py" line="215"/>
        <source>Sound (*.wav)</source>
        <translation>Âm thanh (*.wav)</translation>
    </message>
</context>
<context>
    <name>AddContactDialog</name>
    <message>
        <location filename="../../views/contacts_view.py" line="31"/>
        <source>New contact</source>
        <translation>Liên hệ mới</translation>
    </message>
    <message>
        <location filename="../../views/contacts_view.py" line="36"/>
        <source>Name</source>
        <translation>Tên</translation>
    </message>
    <message>
        <location filename="../../views/contacts_view.py" line="37"/>
        <source>Number</source>
        <translation>Số</translation>
    </message>
    <message>
        <location filename="../../views/contacts_view.py" line="38"/>
        <source>Company</source>
        <translation>Công ty</translation>
    </message>
</context>
<context>
    <name>AddExtensionDialog</name>
    <message>
        <location filename="../../views/settings_view.py" line="73"/>
        <source>Add SIP extension</source>
        <translation>Thêm máy nhánh SIP</translation>
    </message>
    <message>
        <location filename="../../views/settings_view.py" line="80"/>
        <source>optional, e.g. sip.example.com:5060</source>
        <translation>không bắt buộc, ví dụ sip.example.com:5060</translation>
    </message>
    <message>
        <location filename="../../views/settings_view.py" line="84"/>
        <source>Extension</source>
        <translation>Máy nhánh</translation>
    </message>
    <message>
        <location filename="../../views/settings_view.py" line="85"/>
        <source>Password</source>
        <translation>Mật khẩu</translation>
    </message>
    <message>
        <location filename="../../views/settings_view.py" line="86"/>
        <source>Domain</source>
        <translation>Tên miền</translation>
    </message>
    <message>
        <location filename="../../views/settings_view.py" line="87"/>
        <source>Proxy</source>
        <translation>Proxy</translation>
    </message>
    <message>
        <location filename="../../views/settings_view.py" line="88"/>
        <source>Transport</source>
        <translation>Giao thức truyền</translation>
    </message>
</context>
<context>
    <name>CallView</name>
    <message>
        <location filename="../../views/call_view.py" line="246"/>
        <source>Transfer call</source>
        <translation>Chuyển cuộc gọi</translation>
    </message>
    <message>
        <location filename="../../views/call_view.py" line="247"/>
        <source>Transfer now</source>
        <translation>Chuyển ngay</translation>
    </message>
    <message>
        <location filename="../../views/call_view.py" line="247"/>
        <source>Talk first</source>
        <translation>Trao đổi trước</translation>
    </message>
    <message>
        <location filename="../../views/call_view.py" line="257"/>
        <source>Add a call</source>
        <translation>Thêm cuộc gọi</translation>
    </message>
    <message>
        <location filename="../../views/call_view.py" line="257"/>
        <source>Call</source>
        <translation>Gọi</translation>
    </message>
    <message>
        <location filename="../../views/call_view.py" line="276"/>
        <source> (on hold)</source>
        <translation> (đang giữ máy)</translation>
    </message>
    <message>
        <location filename="../../views/call_view.py" line="277"/>
        <source> · conference</source>
        <translation> · hội nghị</translation>
    </message>
    <message>
        <location filename="../../views/call_view.py" line="308"/>
        <source> · on hold</source>
        <translation> · đang giữ máy</translation>
    </message>
    <message>
        <location filename="../../views/call_view.py" line="310"/>
        <source> · held by the other side</source>
        <translation> · bên kia đang giữ máy</translation>
    </message>
    <message numerus="yes">
        <location filename="../../views/call_view.py" line="314"/>
        <source>auto-answer in %n s</source>
        <translation>
            <numerusform>tự trả lời sau %n giây</numerusform>
        </translation>
    </message>
    <message>
        <location filename="../../views/call_view.py" line="316"/>
        <source>transferring…</source>
        <translation>đang chuyển…</translation>
    </message>
    <message>
        <location filename="../../views/call_view.py" line="318"/>
        <source>transfer failed</source>
        <translation>chuyển không thành công</translation>
    </message>
    <message>
        <location filename="../../views/call_view.py" line="343"/>
        <source>Talking to %1 before transferring %2.</source>
        <translation>Đang trao đổi với %1 trước khi chuyển %2.</translation>
    </message>
    <message>
        <location filename="../../views/call_view.py" line="359"/>
        <source>Calls</source>
        <translation>Cuộc gọi</translation>
    </message>
    <message>
        <location filename="../../views/call_view.py" line="360"/>
        <source>Mute</source>
        <translation>Tắt tiếng</translation>
    </message>
    <message>
        <location filename="../../views/call_view.py" line="361"/>
        <source>Hold</source>
        <translation>Giữ máy</translation>
    </message>
    <message>
        <location filename="../../views/call_view.py" line="362"/>
        <source>Keypad</source>
        <translation>Bàn phím</translation>
    </message>
    <message>
        <location filename="../../views/call_view.py" line="363"/>
        <source>Hide keypad</source>
        <translation>Ẩn bàn phím</translation>
    </message>
    <message>
        <location filename="../../views/call_view.py" line="364"/>
        <source>Transfer</source>
        <translation>Chuyển</translation>
    </message>
    <message>
        <location filename="../../views/call_view.py" line="365"/>
        <source>Add call</source>
        <translation>Thêm cuộc gọi</translation>
    </message>
    <message>
        <location filename="../../views/call_view.py" line="366"/>
        <source>Conference</source>
        <translation>Hội nghị</translation>
    </message>
    <message>
        <location filename="../../views/call_view.py" line="367"/>
        <source>Record</source>
        <translation>Ghi âm</translation>
    </message>
    <message>
        <location filename="../../views/call_view.py" line="368"/>
        <source>● REC</source>
        <translation>● ĐANG GHI</translation>
    </message>
    <message>
        <location filename="../../views/call_view.py" line="369"/>
        <source>Complete transfer</source>
        <translation>Hoàn tất chuyển</translation>
    </message>
    <message>
        <location filename="../../views/call_view.py" line="370"/>
        <source>Cancel</source>
        <translation>Hủy</translation>
    </message>
    <message>
        <location filename="../../views/call_view.py" line="371"/>
        <source>Hang up (Ctrl+Shift+H)</source>
        <translation>Gác máy (Ctrl+Shift+H)</translation>
    </message>
    <message>
        <location filename="../../views/call_view.py" line="372"/>
        <source>Answer (Ctrl+Shift+A)</source>
        <translation>Trả lời (Ctrl+Shift+A)</translation>
    </message>
</context>
<context>
    <name>ChatView</name>
    <message>
        <location filename="../../views/chat_view.py" line="83"/>
        <location filename="../../views/chat_view.py" line="99"/>
        <location filename="../../views/chat_view.py" line="159"/>
        <source>New conversation</source>
        <translation>Cuộc trò chuyện mới</translation>
    </message>
    <message>
        <location filename="../../views/chat_view.py" line="83"/>
        <location filename="../../views/chat_view.py" line="158"/>
        <source>Chat</source>
        <translation>Tin nhắn</translation>
    </message>
    <message>
        <location filename="../../views/chat_view.py" line="116"/>
        <source>Pick a conversation or start a new one.</source>
        <translation>Chọn một cuộc trò chuyện hoặc bắt đầu cuộc mới.</translation>
    </message>
    <message>
        <location filename="../../views/chat_view.py" line="123"/>
        <source>sending…</source>
        <translation>đang gửi…</translation>
    </message>
    <message>
        <location filename="../../views/chat_view.py" line="124"/>
        <source>sent</source>
        <translation>đã gửi</translation>
    </message>
    <message>
        <location filename="../../views/chat_view.py" line="125"/>
        <source>delivered</source>
        <translation>đã nhận</translation>
    </message>
    <message>
        <location filename="../../views/chat_view.py" line="126"/>
        <source>not delivered</source>
        <translation>chưa gửi được</translation>
    </message>
    <message>
        <location filename="../../views/chat_view.py" line="160"/>
        <source>Type a message</source>
        <translation>Nhập tin nhắn</translation>
    </message>
    <message>
        <location filename="../../views/chat_view.py" line="161"/>
        <source>Send</source>
        <translation>Gửi</translation>
    </message>
</context>
<context>
    <name>ContactsView</name>
    <message numerus="yes">
        <location filename="../../views/contacts_view.py" line="85"/>
        <source>%n contact(s) imported.</source>
        <translation>
            <numerusform>Đã nhập %n liên hệ.</numerusform>
        </translation>
    </message>
    <message>
        <location filename="../../views/contacts_view.py" line="86"/>
        <source>Import failed: %1</source>
        <translation>Nhập không thành công: %1</translation>
    </message>
    <message>
        <location filename="../../views/contacts_view.py" line="114"/>
        <source>Import contacts</source>
        <translation>Nhập danh bạ</translation>
    </message>
    <message>
        <location filename="../../views/contacts_view.py" line="114"/>
        <source>Contacts (*.csv *.xlsx)</source>
        <translation>Danh bạ (*.csv *.xlsx)</translation>
    </message>
    <message>
        <location filename="../../views/contacts_view.py" line="129"/>
        <source>Colleagues</source>
        <translation>Đồng nghiệp</translation>
    </message>
    <message>
        <location filename="../../views/contacts_view.py" line="130"/>
        <source>My contacts</source>
        <translation>Liên hệ của tôi</translation>
    </message>
    <message>
        <location filename="../../views/contacts_view.py" line="150"/>
        <source>Contacts</source>
        <translation>Danh bạ</translation>
    </message>
    <message>
        <location filename="../../views/contacts_view.py" line="151"/>
        <source>Search name or number</source>
        <translation>Tìm theo tên hoặc số</translation>
    </message>
    <message>
        <location filename="../../views/contacts_view.py" line="152"/>
        <source>New contact</source>
        <translation>Liên hệ mới</translation>
    </message>
    <message>
        <location filename="../../views/contacts_view.py" line="153"/>
        <source>Import CSV / Excel…</source>
        <translation>Nhập CSV / Excel…</translation>
    </message>
    <message>
        <location filename="../../views/contacts_view.py" line="154"/>
        <source>Name</source>
        <translation>Tên</translation>
    </message>
    <message>
        <location filename="../../views/contacts_view.py" line="154"/>
        <source>Number</source>
        <translation>Số</translation>
    </message>
    <message>
        <location filename="../../views/contacts_view.py" line="154"/>
        <source>Status</source>
        <translation>Trạng thái</translation>
    </message>
    <message>
        <location filename="../../views/contacts_view.py" line="155"/>
        <source>Chat</source>
        <translation>Tin nhắn</translation>
    </message>
    <message>
        <location filename="../../views/contacts_view.py" line="156"/>
        <source>Delete</source>
        <translation>Xóa</translation>
    </message>
    <message>
        <location filename="../../views/contacts_view.py" line="157"/>
        <source>Call</source>
        <translation>Gọi</translation>
    </message>
</context>
<context>
    <name>DialerView</name>
    <message>
        <location filename="../../views/dialer_view.py" line="200"/>
        <source>Adaptive number (matches the callee&apos;s carrier)</source>
        <translation>Số thích ứng (theo nhà mạng người nghe)</translation>
    </message>
    <message>
        <location filename="../../views/dialer_view.py" line="218"/>
        <source>Dial</source>
        <translation>Quay số</translation>
    </message>
    <message>
        <location filename="../../views/dialer_view.py" line="219"/>
        <source>Number or extension</source>
        <translation>Số điện thoại hoặc máy nhánh</translation>
    </message>
    <message>
        <location filename="../../views/dialer_view.py" line="220"/>
        <source>Delete last digit</source>
        <translation>Xóa số cuối</translation>
    </message>
    <message>
        <location filename="../../views/dialer_view.py" line="221"/>
        <source>Call out</source>
        <translation>Gọi ra ngoài</translation>
    </message>
    <message>
        <location filename="../../views/dialer_view.py" line="222"/>
        <source>Internal call</source>
        <translation>Gọi nội bộ</translation>
    </message>
    <message>
        <location filename="../../views/dialer_view.py" line="223"/>
        <source>Show caller ID:</source>
        <translation>Hiển thị số gọi đi:</translation>
    </message>
    <message>
        <location filename="../../views/dialer_view.py" line="224"/>
        <source>Call from:</source>
        <translation>Gọi từ:</translation>
    </message>
    <message>
        <location filename="../../views/dialer_view.py" line="225"/>
        <source>Call (Enter)</source>
        <translation>Gọi (Enter)</translation>
    </message>
    <message>
        <location filename="../../views/dialer_view.py" line="226"/>
        <source>Test call (echo test *43)</source>
        <translation>Gọi thử (kiểm tra tiếng vọng *43)</translation>
    </message>
</context>
<context>
    <name>ForwardingBox</name>
    <message>
        <location filename="../../views/forwarding_box.py" line="119"/>
        <source>Extension %1 no longer exists: this rule is ignored until you change it.</source>
        <translation>Số máy lẻ %1 không còn tồn tại: quy tắc này bị bỏ qua cho đến khi bạn sửa lại.</translation>
    </message>
    <message>
        <location filename="../../views/forwarding_box.py" line="130"/>
        <source>Loading…</source>
        <translation>Đang tải…</translation>
    </message>
    <message>
        <location filename="../../views/forwarding_box.py" line="131"/>
        <source>Saving…</source>
        <translation>Đang lưu…</translation>
    </message>
    <message>
        <location filename="../../views/forwarding_box.py" line="132"/>
        <source>Saved. Calls follow these rules now.</source>
        <translation>Đã lưu. Cuộc gọi đến sẽ theo các quy tắc này ngay.</translation>
    </message>
    <message>
        <location filename="../../views/forwarding_box.py" line="133"/>
        <source>Please correct the rules marked above.</source>
        <translation>Vui lòng sửa các quy tắc được đánh dấu ở trên.</translation>
    </message>
    <message>
        <location filename="../../views/forwarding_box.py" line="134"/>
        <source>Could not reach the server: %1</source>
        <translation>Không kết nối được máy chủ: %1</translation>
    </message>
    <message>
        <location filename="../../views/forwarding_box.py" line="135"/>
        <source>Log in to your company to set call forwarding.</source>
        <translation>Đăng nhập vào công ty để cài đặt chuyển tiếp cuộc gọi.</translation>
    </message>
    <message>
        <location filename="../../views/forwarding_box.py" line="140"/>
        <source>Call forwarding</source>
        <translation>Chuyển tiếp cuộc gọi</translation>
    </message>
    <message>
        <location filename="../../views/forwarding_box.py" line="142"/>
        <source>Always</source>
        <translation>Luôn luôn</translation>
    </message>
    <message>
        <location filename="../../views/forwarding_box.py" line="143"/>
        <source>When I am busy</source>
        <translation>Khi tôi bận</translation>
    </message>
    <message>
        <location filename="../../views/forwarding_box.py" line="144"/>
        <source>When I do not answer within</source>
        <translation>Khi tôi không trả lời trong</translation>
    </message>
    <message>
        <location filename="../../views/forwarding_box.py" line="145"/>
        <source>When my phones are offline</source>
        <translation>Khi điện thoại của tôi không kết nối</translation>
    </message>
    <message>
        <location filename="../../views/forwarding_box.py" line="148"/>
        <source>To extension</source>
        <translation>Tới số máy lẻ</translation>
    </message>
    <message>
        <location filename="../../views/forwarding_box.py" line="149"/>
        <source>To my voicemail</source>
        <translation>Tới hộp thư thoại của tôi</translation>
    </message>
    <message>
        <location filename="../../views/forwarding_box.py" line="150"/>
        <source>To phone number</source>
        <translation>Tới số điện thoại</translation>
    </message>
    <message>
        <location filename="../../views/forwarding_box.py" line="161"/>
        <source>Save forwarding</source>
        <translation>Lưu chuyển tiếp</translation>
    </message>
</context>
<context>
    <name>HistoryView</name>
    <message>
        <location filename="../../views/history_view.py" line="101"/>
        <source>recorded</source>
        <translation>có ghi âm</translation>
    </message>
    <message>
        <location filename="../../views/history_view.py" line="110"/>
        <source>No calls yet.</source>
        <translation>Chưa có cuộc gọi nào.</translation>
    </message>
    <message>
        <location filename="../../views/history_view.py" line="114"/>
        <source>History</source>
        <translation>Lịch sử</translation>
    </message>
    <message>
        <location filename="../../views/history_view.py" line="116"/>
        <source>All</source>
        <translation>Tất cả</translation>
    </message>
    <message>
        <location filename="../../views/history_view.py" line="117"/>
        <source>Missed</source>
        <translation>Gọi nhỡ</translation>
    </message>
    <message>
        <location filename="../../views/history_view.py" line="118"/>
        <source>Incoming</source>
        <translation>Gọi đến</translation>
    </message>
    <message>
        <location filename="../../views/history_view.py" line="119"/>
        <source>Outgoing</source>
        <translation>Gọi đi</translation>
    </message>
    <message>
        <location filename="../../views/history_view.py" line="123"/>
        <source>Search name or number</source>
        <translation>Tìm theo tên hoặc số</translation>
    </message>
    <message>
        <location filename="../../views/history_view.py" line="125"/>
        <source>Name</source>
        <translation>Tên</translation>
    </message>
    <message>
        <location filename="../../views/history_view.py" line="125"/>
        <source>Number</source>
        <translation>Số</translation>
    </message>
    <message>
        <location filename="../../views/history_view.py" line="125"/>
        <source>Time</source>
        <translation>Thời gian</translation>
    </message>
    <message>
        <location filename="../../views/history_view.py" line="125"/>
        <source>Result</source>
        <translation>Kết quả</translation>
    </message>
    <message>
        <location filename="../../views/history_view.py" line="127"/>
        <source>Call back</source>
        <translation>Gọi lại</translation>
    </message>
    <message>
        <location filename="../../views/history_view.py" line="128"/>
        <source>Play recording</source>
        <translation>Nghe ghi âm</translation>
    </message>
</context>
<context>
    <name>IncomingCallWindow</name>
    <message numerus="yes">
        <location filename="../../views/incoming_window.py" line="111"/>
        <source>Answering automatically in %n s</source>
        <translation>
            <numerusform>Tự động trả lời sau %n giây</numerusform>
        </translation>
    </message>
    <message>
        <location filename="../../views/incoming_window.py" line="116"/>
        <source>Incoming call</source>
        <translation>Cuộc gọi đến</translation>
    </message>
    <message>
        <location filename="../../views/incoming_window.py" line="117"/>
        <source>Answer (Ctrl+Shift+A)</source>
        <translation>Trả lời (Ctrl+Shift+A)</translation>
    </message>
    <message>
        <location filename="../../views/incoming_window.py" line="118"/>
        <source>Decline (Esc)</source>
        <translation>Từ chối (Esc)</translation>
    </message>
</context>
<context>
    <name>MainWindow</name>
    <message>
        <location filename="../../views/main_window.py" line="236"/>
        <source>The phone engine stopped: %1</source>
        <translation>Bộ xử lý cuộc gọi đã dừng: %1</translation>
    </message>
    <message>
        <location filename="../../views/main_window.py" line="244"/>
        <source>No account — open Settings to add one</source>
        <translation>Chưa có tài khoản — mở Cài đặt để thêm</translation>
    </message>
    <message>
        <location filename="../../views/main_window.py" line="253"/>
        <source>Check the password and server in Settings › Accounts.</source>
        <translation>Kiểm tra mật khẩu và máy chủ trong Cài đặt › Tài khoản.</translation>
    </message>
    <message>
        <location filename="../../views/main_window.py" line="259"/>
        <source>Do not disturb rejects incoming calls (Ctrl+Shift+D)</source>
        <translation>Không làm phiền: từ chối cuộc gọi đến (Ctrl+Shift+D)</translation>
    </message>
    <message>
        <location filename="../../views/main_window.py" line="261"/>
        <source>Softphone</source>
        <translation>Softphone</translation>
    </message>
    <message>
        <location filename="../../views/main_window.py" line="290"/>
        <source>Phone</source>
        <translation>Điện thoại</translation>
    </message>
    <message>
        <location filename="../../views/main_window.py" line="291"/>
        <source>History</source>
        <translation>Lịch sử</translation>
    </message>
    <message>
        <location filename="../../views/main_window.py" line="292"/>
        <source>Contacts</source>
        <translation>Danh bạ</translation>
    </message>
    <message>
        <location filename="../../views/main_window.py" line="293"/>
        <source>Chat</source>
        <translation>Tin nhắn</translation>
    </message>
    <message>
        <location filename="../../views/main_window.py" line="294"/>
        <source>Queues</source>
        <translation>Hàng đợi</translation>
    </message>
    <message>
        <location filename="../../views/main_window.py" line="295"/>
        <source>Voicemail</source>
        <translation>Hộp thư thoại</translation>
    </message>
    <message>
        <location filename="../../views/main_window.py" line="296"/>
        <source>Settings</source>
        <translation>Cài đặt</translation>
    </message>
    <message>
        <location filename="../../views/main_window.py" line="300"/>
        <source>My status:</source>
        <translation>Trạng thái của tôi:</translation>
    </message>
    <message>
        <location filename="../../views/main_window.py" line="301"/>
        <source>Do not disturb is on: incoming calls are rejected.</source>
        <translation>Đang bật Không làm phiền: cuộc gọi đến sẽ bị từ chối.</translation>
    </message>
</context>
<context>
    <name>MobileProvisioningDialog</name>
    <message>
        <location filename="../../views/mobile_dialog.py" line="18"/>
        <source>Provision my mobile</source>
        <translation>Cài đặt cho điện thoại di động</translation>
    </message>
    <message>
        <location filename="../../views/mobile_dialog.py" line="22"/>
        <source>Open the softphone app on your mobile and scan this code. The code works once and expires soon.</source>
        <translation>Mở ứng dụng softphone trên điện thoại di động và quét mã này. Mã chỉ dùng được một lần và sẽ sớm hết hạn.</translation>
    </message>
    <message>
        <location filename="../../views/mobile_dialog.py" line="29"/>
        <source>Loading…</source>
        <translation>Đang tải…</translation>
    </message>
</context>
<context>
    <name>OnboardingView</name>
    <message>
        <location filename="../../views/onboarding_view.py" line="243"/>
        <source>Welcome</source>
        <translation>Xin chào</translation>
    </message>
    <message>
        <location filename="../../views/onboarding_view.py" line="244"/>
        <source>Sign in to your company&apos;s phone system to start calling.</source>
        <translation>Đăng nhập tổng đài của công ty để bắt đầu gọi.</translation>
    </message>
    <message>
        <location filename="../../views/onboarding_view.py" line="247"/>
        <location filename="../../views/onboarding_view.py" line="285"/>
        <location filename="../../views/onboarding_view.py" line="291"/>
        <source>Log in</source>
        <translation>Đăng nhập</translation>
    </message>
    <message>
        <location filename="../../views/onboarding_view.py" line="248"/>
        <source>Use the phone number or e-mail and the password of your account.</source>
        <translation>Dùng số điện thoại hoặc e-mail và mật khẩu tài khoản của bạn.</translation>
    </message>
    <message>
        <location filename="../../views/onboarding_view.py" line="251"/>
        <location filename="../../views/onboarding_view.py" line="286"/>
        <source>Create an account</source>
        <translation>Tạo tài khoản</translation>
    </message>
    <message>
        <location filename="../../views/onboarding_view.py" line="252"/>
        <source>We will send a code by SMS to this number.</source>
        <translation>Chúng tôi sẽ gửi mã qua SMS đến số này.</translation>
    </message>
    <message>
        <location filename="../../views/onboarding_view.py" line="255"/>
        <source>Enter the code</source>
        <translation>Nhập mã xác nhận</translation>
    </message>
    <message>
        <location filename="../../views/onboarding_view.py" line="256"/>
        <source>Type the code we sent by SMS to %1.</source>
        <translation>Nhập mã đã gửi qua SMS đến %1.</translation>
    </message>
    <message>
        <location filename="../../views/onboarding_view.py" line="258"/>
        <source>About you</source>
        <translation>Thông tin của bạn</translation>
    </message>
    <message>
        <location filename="../../views/onboarding_view.py" line="258"/>
        <source>Choose a password (at least 8 characters).</source>
        <translation>Chọn mật khẩu (ít nhất 8 ký tự).</translation>
    </message>
    <message>
        <location filename="../../views/onboarding_view.py" line="259"/>
        <source>My accounts</source>
        <translation>Tài khoản của tôi</translation>
    </message>
    <message>
        <location filename="../../views/onboarding_view.py" line="259"/>
        <source>Choose the extension to use on this computer.</source>
        <translation>Chọn máy nhánh dùng trên máy tính này.</translation>
    </message>
    <message>
        <location filename="../../views/onboarding_view.py" line="263"/>
        <source>Your session has expired. Please log in again.</source>
        <translation>Phiên đăng nhập đã hết hạn. Vui lòng đăng nhập lại.</translation>
    </message>
    <message>
        <location filename="../../views/onboarding_view.py" line="265"/>
        <source>Installing your configuration and connecting…</source>
        <translation>Đang cài đặt cấu hình và kết nối…</translation>
    </message>
    <message>
        <location filename="../../views/onboarding_view.py" line="269"/>
        <source>ext.</source>
        <translation>máy nhánh</translation>
    </message>
    <message>
        <location filename="../../views/onboarding_view.py" line="271"/>
        <source> (active on this computer)</source>
        <translation> (đang dùng trên máy này)</translation>
    </message>
    <message>
        <location filename="../../views/onboarding_view.py" line="278"/>
        <source>Your administrator has not given you an extension yet.</source>
        <translation>Quản trị viên chưa cấp máy nhánh cho bạn.</translation>
    </message>
    <message>
        <location filename="../../views/onboarding_view.py" line="287"/>
        <source>I have a SIP extension (enter it by hand)</source>
        <translation>Tôi có máy nhánh SIP (nhập thủ công)</translation>
    </message>
    <message>
        <location filename="../../views/onboarding_view.py" line="288"/>
        <source>Server address</source>
        <translation>Địa chỉ máy chủ</translation>
    </message>
    <message>
        <location filename="../../views/onboarding_view.py" line="289"/>
        <source>Phone or e-mail</source>
        <translation>Số điện thoại hoặc e-mail</translation>
    </message>
    <message>
        <location filename="../../views/onboarding_view.py" line="290"/>
        <location filename="../../views/onboarding_view.py" line="302"/>
        <source>Password</source>
        <translation>Mật khẩu</translation>
    </message>
    <message>
        <location filename="../../views/onboarding_view.py" line="292"/>
        <location filename="../../views/onboarding_view.py" line="295"/>
        <source>Back</source>
        <translation>Quay lại</translation>
    </message>
    <message>
        <location filename="../../views/onboarding_view.py" line="293"/>
        <source>Mobile number</source>
        <translation>Số di động</translation>
    </message>
    <message>
        <location filename="../../views/onboarding_view.py" line="294"/>
        <source>Send code</source>
        <translation>Gửi mã</translation>
    </message>
    <message>
        <location filename="../../views/onboarding_view.py" line="296"/>
        <source>Code</source>
        <translation>Mã</translation>
    </message>
    <message>
        <location filename="../../views/onboarding_view.py" line="297"/>
        <source>Continue</source>
        <translation>Tiếp tục</translation>
    </message>
    <message>
        <location filename="../../views/onboarding_view.py" line="298"/>
        <source>Send again</source>
        <translation>Gửi lại mã</translation>
    </message>
    <message>
        <location filename="../../views/onboarding_view.py" line="299"/>
        <source>Full name</source>
        <translation>Họ và tên</translation>
    </message>
    <message>
        <location filename="../../views/onboarding_view.py" line="300"/>
        <source>Company</source>
        <translation>Công ty</translation>
    </message>
    <message>
        <location filename="../../views/onboarding_view.py" line="301"/>
        <source>E-mail (optional)</source>
        <translation>E-mail (không bắt buộc)</translation>
    </message>
    <message>
        <location filename="../../views/onboarding_view.py" line="303"/>
        <source>Create account</source>
        <translation>Tạo tài khoản</translation>
    </message>
    <message>
        <location filename="../../views/onboarding_view.py" line="304"/>
        <source>Activate on this computer</source>
        <translation>Kích hoạt trên máy này</translation>
    </message>
    <message>
        <location filename="../../views/onboarding_view.py" line="305"/>
        <source>Not now</source>
        <translation>Để sau</translation>
    </message>
</context>
<context>
    <name>QPlatformTheme</name>
    <message>
        <location filename="../../views/qt_strings.py" line="9"/>
        <source>OK</source>
        <translation>Đồng ý</translation>
    </message>
    <message>
        <location filename="../../views/qt_strings.py" line="10"/>
        <source>Cancel</source>
        <translation>Hủy</translation>
    </message>
    <message>
        <location filename="../../views/qt_strings.py" line="11"/>
        <source>Close</source>
        <translation>Đóng</translation>
    </message>
    <message>
        <location filename="../../views/qt_strings.py" line="12"/>
        <source>&amp;Yes</source>
        <translation>&amp;Có</translation>
    </message>
    <message>
        <location filename="../../views/qt_strings.py" line="13"/>
        <source>&amp;No</source>
        <translation>&amp;Không</translation>
    </message>
    <message>
        <location filename="../../views/qt_strings.py" line="14"/>
        <source>Apply</source>
        <translation>Áp dụng</translation>
    </message>
    <message>
        <location filename="../../views/qt_strings.py" line="15"/>
        <source>Save</source>
        <translation>Lưu</translation>
    </message>
</context>
<context>
    <name>QueuesView</name>
    <message>
        <location filename="../../views/queues_view.py" line="119"/>
        <source>Log out of this queue</source>
        <translation>Rời hàng đợi này</translation>
    </message>
    <message>
        <location filename="../../views/queues_view.py" line="121"/>
        <source>Log in to this queue</source>
        <translation>Vào hàng đợi này</translation>
    </message>
    <message>
        <location filename="../../views/queues_view.py" line="126"/>
        <source>Logged out</source>
        <translation>Đã rời</translation>
    </message>
    <message>
        <location filename="../../views/queues_view.py" line="128"/>
        <location filename="../../views/queues_view.py" line="151"/>
        <source>Paused: %1</source>
        <translation>Tạm nghỉ: %1</translation>
    </message>
    <message>
        <location filename="../../views/queues_view.py" line="129"/>
        <source>Ready</source>
        <translation>Sẵn sàng</translation>
    </message>
    <message>
        <location filename="../../views/queues_view.py" line="149"/>
        <source>Logged out of all my queues</source>
        <translation>Đã rời tất cả hàng đợi</translation>
    </message>
    <message numerus="yes">
        <location filename="../../views/queues_view.py" line="153"/>
        <source>Ready · queues: %n</source>
        <translation>
            <numerusform>Sẵn sàng · hàng đợi: %n</numerusform>
        </translation>
    </message>
    <message>
        <location filename="../../views/queues_view.py" line="173"/>
        <source>Wrap-up: %1 left</source>
        <translation>Hoàn tất cuộc gọi: còn %1</translation>
    </message>
    <message numerus="yes">
        <location filename="../../views/queues_view.py" line="185"/>
        <source>Waiting: %n</source>
        <translation>
            <numerusform>Đang chờ: %n</numerusform>
        </translation>
    </message>
    <message>
        <location filename="../../views/queues_view.py" line="186"/>
        <source>Longest wait %1</source>
        <translation>Chờ lâu nhất %1</translation>
    </message>
    <message>
        <location filename="../../views/queues_view.py" line="189"/>
        <source>Service level today: %1</source>
        <translation>Mức phục vụ hôm nay: %1</translation>
    </message>
    <message>
        <location filename="../../views/queues_view.py" line="200"/>
        <source>Caller %1</source>
        <translation>Người gọi %1</translation>
    </message>
    <message>
        <location filename="../../views/queues_view.py" line="225"/>
        <source>You serve no queue. An administrator adds you to queues in the console.</source>
        <translation>Bạn chưa thuộc hàng đợi nào. Quản trị viên thêm bạn vào hàng đợi trong trang quản trị.</translation>
    </message>
    <message>
        <location filename="../../views/queues_view.py" line="229"/>
        <source>Queues</source>
        <translation>Hàng đợi</translation>
    </message>
    <message>
        <location filename="../../views/queues_view.py" line="230"/>
        <source>Ready now</source>
        <translation>Sẵn sàng ngay</translation>
    </message>
    <message>
        <location filename="../../views/queues_view.py" line="231"/>
        <source>Log in to all</source>
        <translation>Vào tất cả</translation>
    </message>
    <message>
        <location filename="../../views/queues_view.py" line="232"/>
        <source>Log out of all</source>
        <translation>Rời tất cả</translation>
    </message>
    <message>
        <location filename="../../views/queues_view.py" line="233"/>
        <source>Pause</source>
        <translation>Tạm nghỉ</translation>
    </message>
    <message>
        <location filename="../../views/queues_view.py" line="234"/>
        <source>Unpause</source>
        <translation>Tiếp tục</translation>
    </message>
    <message>
        <location filename="../../views/queues_view.py" line="237"/>
        <source>Pause reason</source>
        <translation>Lý do tạm nghỉ</translation>
    </message>
    <message>
        <location filename="../../views/queues_view.py" line="238"/>
        <location filename="../../views/queues_view.py" line="240"/>
        <source>Queue</source>
        <translation>Hàng đợi</translation>
    </message>
    <message>
        <location filename="../../views/queues_view.py" line="238"/>
        <source>My state</source>
        <translation>Trạng thái của tôi</translation>
    </message>
    <message>
        <location filename="../../views/queues_view.py" line="239"/>
        <source>Live queue board</source>
        <translation>Bảng hàng đợi trực tiếp</translation>
    </message>
    <message>
        <location filename="../../views/queues_view.py" line="240"/>
        <source>Who</source>
        <translation>Ai</translation>
    </message>
    <message>
        <location filename="../../views/queues_view.py" line="240"/>
        <source>State / wait</source>
        <translation>Trạng thái / thời gian chờ</translation>
    </message>
</context>
<context>
    <name>SettingsView</name>
    <message>
        <location filename="../../views/settings_view.py" line="494"/>
        <source>Remove account</source>
        <translation>Xóa tài khoản</translation>
    </message>
    <message>
        <location filename="../../views/settings_view.py" line="494"/>
        <source>Remove this account from this computer?</source>
        <translation>Xóa tài khoản này khỏi máy tính?</translation>
    </message>
    <message>
        <location filename="../../views/settings_view.py" line="507"/>
        <source>Reset application</source>
        <translation>Đặt lại ứng dụng</translation>
    </message>
    <message>
        <location filename="../../views/settings_view.py" line="509"/>
        <source>This removes every account, saved password, contact and the call and chat history from this computer. Continue?</source>
        <translation>Thao tác này xóa mọi tài khoản, mật khẩu đã lưu, danh bạ, lịch sử cuộc gọi và tin nhắn khỏi máy tính này. Tiếp tục?</translation>
    </message>
    <message>
        <location filename="../../views/settings_view.py" line="567"/>
        <source>No account yet. Log in to your company or add a SIP extension.</source>
        <translation>Chưa có tài khoản. Đăng nhập tổng đài công ty hoặc thêm máy nhánh SIP.</translation>
    </message>
    <message>
        <location filename="../../views/settings_view.py" line="583"/>
        <source>System default</source>
        <translation>Mặc định của hệ thống</translation>
    </message>
    <message>
        <location filename="../../views/settings_view.py" line="630"/>
        <source>Settings</source>
        <translation>Cài đặt</translation>
    </message>
    <message>
        <location filename="../../views/settings_view.py" line="633"/>
        <source>Accounts</source>
        <translation>Tài khoản</translation>
    </message>
    <message>
        <location filename="../../views/settings_view.py" line="633"/>
        <source>Audio</source>
        <translation>Âm thanh</translation>
    </message>
    <message>
        <location filename="../../views/settings_view.py" line="633"/>
        <source>Calls</source>
        <translation>Cuộc gọi</translation>
    </message>
    <message>
        <location filename="../../views/settings_view.py" line="633"/>
        <source>General</source>
        <translation>Chung</translation>
    </message>
    <message>
        <location filename="../../views/settings_view.py" line="542"/>
        <source>Log in to my company…</source>
        <translation>Đăng nhập tổng đài công ty…</translation>
    </message>
    <message>
        <location filename="../../views/settings_view.py" line="637"/>
        <source>Add SIP extension…</source>
        <translation>Thêm máy nhánh SIP…</translation>
    </message>
    <message>
        <location filename="../../views/settings_view.py" line="638"/>
        <source>Remove</source>
        <translation>Xóa</translation>
    </message>
    <message>
        <location filename="../../views/settings_view.py" line="639"/>
        <source>Edit…</source>
        <translation>Sửa…</translation>
    </message>
    <message>
        <location filename="../../views/settings_view.py" line="640"/>
        <source>Provision my mobile…</source>
        <translation>Cài đặt cho di động…</translation>
    </message>
    <message>
        <location filename="../../views/settings_view.py" line="641"/>
        <source>Microphone</source>
        <translation>Micrô</translation>
    </message>
    <message>
        <location filename="../../views/settings_view.py" line="642"/>
        <source>Microphone level</source>
        <translation>Mức micrô</translation>
    </message>
    <message>
        <location filename="../../views/settings_view.py" line="643"/>
        <source>Speaker / headset</source>
        <translation>Loa / tai nghe</translation>
    </message>
    <message>
        <location filename="../../views/settings_view.py" line="644"/>
        <source>Ringtone plays on</source>
        <translation>Phát chuông trên</translation>
    </message>
    <message>
        <location filename="../../views/settings_view.py" line="590"/>
        <source>Test speaker</source>
        <translation>Thử loa</translation>
    </message>
    <message>
        <location filename="../../views/settings_view.py" line="502"/>
        <source>Enter your mobile number, e.g. 0912 345 678.</source>
        <translation>Nhập số di động của bạn, ví dụ 0912 345 678.</translation>
    </message>
    <message>
        <location filename="../../views/settings_view.py" line="520"/>
        <source>Copied. Paste it into your message to support.</source>
        <translation>Đã sao chép. Hãy dán vào tin nhắn gửi bộ phận hỗ trợ.</translation>
    </message>
    <message>
        <location filename="../../views/settings_view.py" line="530"/>
        <source>Select an account first</source>
        <translation>Hãy chọn một tài khoản trước</translation>
    </message>
    <message>
        <location filename="../../views/settings_view.py" line="531"/>
        <source>Disable</source>
        <translation>Tắt</translation>
    </message>
    <message>
        <location filename="../../views/settings_view.py" line="531"/>
        <source>Enable</source>
        <translation>Bật</translation>
    </message>
    <message>
        <location filename="../../views/settings_view.py" line="533"/>
        <source>Stop using this account on this computer (it stays saved)</source>
        <translation>Ngừng dùng tài khoản này trên máy này (vẫn được lưu)</translation>
    </message>
    <message>
        <location filename="../../views/settings_view.py" line="535"/>
        <source>Use this account on this computer again</source>
        <translation>Dùng lại tài khoản này trên máy này</translation>
    </message>
    <message>
        <location filename="../../views/settings_view.py" line="542"/>
        <source>My company accounts…</source>
        <translation>Tài khoản công ty của tôi…</translation>
    </message>
    <message>
        <location filename="../../views/settings_view.py" line="545"/>
        <source>Log in to your company first</source>
        <translation>Hãy đăng nhập vào công ty trước</translation>
    </message>
    <message>
        <location filename="../../views/settings_view.py" line="547"/>
        <source>Double-click an account (or Edit…) for its transport, encryption, codecs and ringtone.</source>
        <translation>Nhấp đúp vào tài khoản (hoặc Sửa…) để chỉnh giao thức, mã hóa, codec và nhạc chuông.</translation>
    </message>
    <message>
        <location filename="../../views/settings_view.py" line="590"/>
        <source>Playing a test sound…</source>
        <translation>Đang phát âm thanh thử…</translation>
    </message>
    <message>
        <location filename="../../views/settings_view.py" line="594"/>
        <source>Ringing…</source>
        <translation>Đang đổ chuông…</translation>
    </message>
    <message>
        <location filename="../../views/settings_view.py" line="594"/>
        <source>Test ringtone</source>
        <translation>Thử nhạc chuông</translation>
    </message>
    <message>
        <location filename="../../views/settings_view.py" line="633"/>
        <source>About</source>
        <translation>Giới thiệu</translation>
    </message>
    <message>
        <location filename="../../views/settings_view.py" line="645"/>
        <source>Microphone processing</source>
        <translation>Xử lý micro</translation>
    </message>
    <message>
        <location filename="../../views/settings_view.py" line="646"/>
        <source>Echo cancellation</source>
        <translation>Khử tiếng vọng</translation>
    </message>
    <message>
        <location filename="../../views/settings_view.py" line="647"/>
        <source>Noise suppression</source>
        <translation>Lọc tiếng ồn</translation>
    </message>
    <message>
        <location filename="../../views/settings_view.py" line="648"/>
        <source>Automatic gain control</source>
        <translation>Tự động chỉnh mức âm</translation>
    </message>
    <message>
        <location filename="../../views/settings_view.py" line="649"/>
        <source>Where my calls ring</source>
        <translation>Nơi đổ chuông cuộc gọi</translation>
    </message>
    <message>
        <location filename="../../views/settings_view.py" line="650"/>
        <source>Ring</source>
        <translation>Đổ chuông</translation>
    </message>
    <message>
        <location filename="../../views/settings_view.py" line="651"/>
        <source>My mobile number</source>
        <translation>Số di động của tôi</translation>
    </message>
    <message>
        <location filename="../../views/settings_view.py" line="652"/>
        <source>Save</source>
        <translation>Lưu</translation>
    </message>
    <message>
        <location filename="../../views/settings_view.py" line="653"/>
        <source>Auto-answer</source>
        <translation>Tự động trả lời</translation>
    </message>
    <message>
        <location filename="../../views/settings_view.py" line="654"/>
        <source>Answer incoming calls automatically after (seconds):</source>
        <translation>Tự động trả lời cuộc gọi đến sau (giây):</translation>
    </message>
    <message>
        <location filename="../../views/settings_view.py" line="655"/>
        <source>Keys</source>
        <translation>Phím tắt</translation>
    </message>
    <message>
        <location filename="../../views/settings_view.py" line="656"/>
        <source>Answer</source>
        <translation>Trả lời</translation>
    </message>
    <message>
        <location filename="../../views/settings_view.py" line="657"/>
        <source>Hang up</source>
        <translation>Gác máy</translation>
    </message>
    <message>
        <location filename="../../views/settings_view.py" line="658"/>
        <source>These keys work in every application (global hotkeys)</source>
        <translation>Phím tắt dùng được trong mọi ứng dụng (phím tắt toàn cục)</translation>
    </message>
    <message>
        <location filename="../../views/settings_view.py" line="659"/>
        <source>Headset and media keys answer and hang up (play/pause)</source>
        <translation>Nút tai nghe và phím đa phương tiện để trả lời và gác máy (phát/tạm dừng)</translation>
    </message>
    <message>
        <location filename="../../views/settings_view.py" line="661"/>
        <source>Global hotkeys need an X11 desktop on Linux; on Wayland they work inside the app only.</source>
        <translation>Phím tắt toàn cục cần màn hình X11 trên Linux; trên Wayland chỉ dùng được trong ứng dụng.</translation>
    </message>
    <message>
        <location filename="../../views/settings_view.py" line="663"/>
        <source>Language</source>
        <translation>Ngôn ngữ</translation>
    </message>
    <message>
        <location filename="../../views/settings_view.py" line="664"/>
        <source>Start minimized in the tray</source>
        <translation>Khởi động thu nhỏ xuống khay hệ thống</translation>
    </message>
    <message>
        <location filename="../../views/settings_view.py" line="665"/>
        <source>Start when I log in to the computer</source>
        <translation>Tự khởi động khi đăng nhập máy tính</translation>
    </message>
    <message>
        <location filename="../../views/settings_view.py" line="666"/>
        <source>Reset application…</source>
        <translation>Đặt lại ứng dụng…</translation>
    </message>
    <message>
        <location filename="../../views/settings_view.py" line="667"/>
        <source>Version</source>
        <translation>Phiên bản</translation>
    </message>
    <message>
        <location filename="../../views/settings_view.py" line="668"/>
        <source>Engine</source>
        <translation>Bộ xử lý cuộc gọi</translation>
    </message>
    <message>
        <location filename="../../views/settings_view.py" line="669"/>
        <source>Codecs</source>
        <translation>Codec</translation>
    </message>
    <message>
        <location filename="../../views/settings_view.py" line="670"/>
        <source>Copy diagnostics</source>
        <translation>Sao chép thông tin chẩn đoán</translation>
    </message>
</context>
<context>
    <name>TargetDialog</name>
    <message>
        <location filename="../../views/call_view.py" line="64"/>
        <source>Number or extension</source>
        <translation>Số điện thoại hoặc máy nhánh</translation>
    </message>
</context>
<context>
    <name>Texts</name>
    <message>
        <location filename="../../views/texts.py" line="17"/>
        <location filename="../../views/texts.py" line="328"/>
        <source>Available</source>
        <translation>Sẵn sàng</translation>
    </message>
    <message>
        <location filename="../../views/texts.py" line="18"/>
        <source>Away</source>
        <translation>Vắng mặt</translation>
    </message>
    <message>
        <location filename="../../views/texts.py" line="19"/>
        <location filename="../../views/texts.py" line="137"/>
        <source>Busy</source>
        <translation>Bận</translation>
    </message>
    <message>
        <location filename="../../views/texts.py" line="20"/>
        <source>Do not disturb</source>
        <translation>Không làm phiền</translation>
    </message>
    <message>
        <location filename="../../views/texts.py" line="21"/>
        <source>On the phone</source>
        <translation>Đang nghe máy</translation>
    </message>
    <message>
        <location filename="../../views/texts.py" line="22"/>
        <source>Offline</source>
        <translation>Ngoại tuyến</translation>
    </message>
    <message>
        <location filename="../../views/texts.py" line="23"/>
        <source>Unknown</source>
        <translation>Không rõ</translation>
    </message>
    <message>
        <location filename="../../views/texts.py" line="40"/>
        <location filename="../../views/texts.py" line="84"/>
        <source>Connecting…</source>
        <translation>Đang kết nối…</translation>
    </message>
    <message>
        <location filename="../../views/texts.py" line="41"/>
        <source>Registered</source>
        <translation>Đã đăng ký</translation>
    </message>
    <message>
        <location filename="../../views/texts.py" line="42"/>
        <source>Not registered</source>
        <translation>Chưa đăng ký</translation>
    </message>
    <message>
        <location filename="../../views/texts.py" line="43"/>
        <source>Registration failed</source>
        <translation>Đăng ký thất bại</translation>
    </message>
    <message>
        <location filename="../../views/texts.py" line="50"/>
        <location filename="../../views/texts.py" line="51"/>
        <location filename="../../views/texts.py" line="52"/>
        <source>wrong password</source>
        <translation>sai mật khẩu</translation>
    </message>
    <message>
        <location filename="../../views/texts.py" line="53"/>
        <source>unknown extension</source>
        <translation>máy nhánh không tồn tại</translation>
    </message>
    <message>
        <location filename="../../views/texts.py" line="47"/>
        <source>server not reachable</source>
        <translation>không kết nối được máy chủ</translation>
    </message>
    <message>
        <location filename="../../views/texts.py" line="44"/>
        <source>Disabled on this computer</source>
        <translation>Đã tắt trên máy này</translation>
    </message>
    <message>
        <location filename="../../views/texts.py" line="79"/>
        <source>Calling…</source>
        <translation>Đang gọi…</translation>
    </message>
    <message>
        <location filename="../../views/texts.py" line="80"/>
        <source>Incoming call</source>
        <translation>Cuộc gọi đến</translation>
    </message>
    <message>
        <location filename="../../views/texts.py" line="82"/>
        <location filename="../../views/texts.py" line="83"/>
        <source>Ringing…</source>
        <translation>Đang đổ chuông…</translation>
    </message>
    <message>
        <location filename="../../views/texts.py" line="85"/>
        <source>In call</source>
        <translation>Đang đàm thoại</translation>
    </message>
    <message>
        <location filename="../../views/texts.py" line="86"/>
        <source>Call ended</source>
        <translation>Cuộc gọi đã kết thúc</translation>
    </message>
    <message>
        <location filename="../../views/texts.py" line="93"/>
        <source>Cannot reach the server. Check the network and the server address.</source>
        <translation>Không kết nối được máy chủ. Hãy kiểm tra mạng và địa chỉ máy chủ.</translation>
    </message>
    <message>
        <location filename="../../views/texts.py" line="96"/>
        <source>Wrong phone/e-mail or password.</source>
        <translation>Sai số điện thoại/e-mail hoặc mật khẩu.</translation>
    </message>
    <message>
        <location filename="../../views/texts.py" line="97"/>
        <source>This phone number is not valid.</source>
        <translation>Số điện thoại không hợp lệ.</translation>
    </message>
    <message>
        <location filename="../../views/texts.py" line="98"/>
        <location filename="../../views/texts.py" line="99"/>
        <location filename="../../views/texts.py" line="100"/>
        <source>The code is wrong or has expired.</source>
        <translation>Mã không đúng hoặc đã hết hạn.</translation>
    </message>
    <message>
        <location filename="../../views/texts.py" line="101"/>
        <source>Too many attempts. Please wait a minute and try again.</source>
        <translation>Thử quá nhiều lần. Vui lòng đợi một phút rồi thử lại.</translation>
    </message>
    <message>
        <location filename="../../views/texts.py" line="104"/>
        <source>This phone number already has an account. Please log in.</source>
        <translation>Số điện thoại này đã có tài khoản. Vui lòng đăng nhập.</translation>
    </message>
    <message>
        <location filename="../../views/texts.py" line="107"/>
        <source>The password needs at least 8 characters.</source>
        <translation>Mật khẩu cần ít nhất 8 ký tự.</translation>
    </message>
    <message>
        <location filename="../../views/texts.py" line="108"/>
        <location filename="../../views/texts.py" line="119"/>
        <source>Please fill in all required fields.</source>
        <translation>Vui lòng điền đủ các trường bắt buộc.</translation>
    </message>
    <message>
        <location filename="../../views/texts.py" line="109"/>
        <source>Your session has expired. Please log in again.</source>
        <translation>Phiên đăng nhập đã hết hạn. Vui lòng đăng nhập lại.</translation>
    </message>
    <message>
        <location filename="../../views/texts.py" line="112"/>
        <source>Please log in first.</source>
        <translation>Vui lòng đăng nhập trước.</translation>
    </message>
    <message>
        <location filename="../../views/texts.py" line="113"/>
        <source>No SIP account is active. Add or activate one in Settings.</source>
        <translation>Chưa có tài khoản SIP nào hoạt động. Hãy thêm hoặc kích hoạt trong Cài đặt.</translation>
    </message>
    <message>
        <location filename="../../views/texts.py" line="116"/>
        <source>Your account is not allowed to call outside numbers.</source>
        <translation>Tài khoản của bạn không được phép gọi ra ngoài.</translation>
    </message>
    <message>
        <location filename="../../views/texts.py" line="120"/>
        <location filename="../../views/texts.py" line="128"/>
        <source>Something went wrong.</source>
        <translation>Đã xảy ra lỗi.</translation>
    </message>
    <message>
        <location filename="../../views/texts.py" line="121"/>
        <source>You do not serve this queue.</source>
        <translation>Bạn không thuộc hàng đợi này.</translation>
    </message>
    <message>
        <location filename="../../views/texts.py" line="122"/>
        <source>It is no longer there: someone may have deleted it.</source>
        <translation>Mục này không còn nữa: có thể ai đó đã xóa.</translation>
    </message>
    <message>
        <location filename="../../views/texts.py" line="125"/>
        <source>The message cannot be played.</source>
        <translation>Không phát được tin nhắn.</translation>
    </message>
    <message>
        <location filename="../../views/texts.py" line="134"/>
        <source>Answered</source>
        <translation>Đã nghe</translation>
    </message>
    <message>
        <location filename="../../views/texts.py" line="135"/>
        <source>Missed</source>
        <translation>Gọi nhỡ</translation>
    </message>
    <message>
        <location filename="../../views/texts.py" line="136"/>
        <source>Declined</source>
        <translation>Đã từ chối</translation>
    </message>
    <message>
        <location filename="../../views/texts.py" line="138"/>
        <source>Failed</source>
        <translation>Không thành công</translation>
    </message>
    <message>
        <location filename="../../views/texts.py" line="139"/>
        <source>Cancelled</source>
        <translation>Đã hủy</translation>
    </message>
    <message>
        <location filename="../../views/texts.py" line="145"/>
        <source>All my devices</source>
        <translation>Tất cả thiết bị của tôi</translation>
    </message>
    <message>
        <location filename="../../views/texts.py" line="146"/>
        <source>This app only</source>
        <translation>Chỉ ứng dụng này</translation>
    </message>
    <message>
        <location filename="../../views/texts.py" line="147"/>
        <source>My IP phone</source>
        <translation>Điện thoại IP của tôi</translation>
    </message>
    <message>
        <location filename="../../views/texts.py" line="148"/>
        <source>My mobile</source>
        <translation>Di động của tôi</translation>
    </message>
    <message>
        <location filename="../../views/texts.py" line="161"/>
        <source>Quality: excellent</source>
        <translation>Chất lượng: rất tốt</translation>
    </message>
    <message>
        <location filename="../../views/texts.py" line="162"/>
        <source>Quality: good</source>
        <translation>Chất lượng: tốt</translation>
    </message>
    <message>
        <location filename="../../views/texts.py" line="163"/>
        <source>Quality: fair</source>
        <translation>Chất lượng: trung bình</translation>
    </message>
    <message>
        <location filename="../../views/texts.py" line="164"/>
        <source>Quality: poor</source>
        <translation>Chất lượng: kém</translation>
    </message>
    <message>
        <location filename="../../views/texts.py" line="174"/>
        <source>Signalling: TLS (encrypted)</source>
        <translation>Báo hiệu: TLS (có mã hóa)</translation>
    </message>
    <message>
        <location filename="../../views/texts.py" line="176"/>
        <source>Signalling: %1 (not encrypted)</source>
        <translation>Báo hiệu: %1 (không mã hóa)</translation>
    </message>
    <message>
        <location filename="../../views/texts.py" line="181"/>
        <source>Encrypted</source>
        <translation>Đã mã hóa</translation>
    </message>
    <message>
        <location filename="../../views/texts.py" line="183"/>
        <source>Voice: SRTP, %1</source>
        <translation>Thoại: SRTP, %1</translation>
    </message>
    <message>
        <location filename="../../views/texts.py" line="185"/>
        <source>Not encrypted</source>
        <translation>Không mã hóa</translation>
    </message>
    <message>
        <location filename="../../views/texts.py" line="186"/>
        <source>Voice: plain RTP (not encrypted)</source>
        <translation>Thoại: RTP thường (không mã hóa)</translation>
    </message>
    <message>
        <location filename="../../views/texts.py" line="194"/>
        <source>Echo test</source>
        <translation>Kiểm tra tiếng vọng</translation>
    </message>
    <message>
        <location filename="../../views/texts.py" line="196"/>
        <source>Conference room %1</source>
        <translation>Phòng họp %1</translation>
    </message>
    <message>
        <location filename="../../views/texts.py" line="214"/>
        <source>Yesterday %1</source>
        <translation>Hôm qua %1</translation>
    </message>
    <message>
        <location filename="../../views/texts.py" line="226"/>
        <source>Codec</source>
        <translation>Codec</translation>
    </message>
    <message>
        <location filename="../../views/texts.py" line="227"/>
        <source>Packet loss</source>
        <translation>Mất gói</translation>
    </message>
    <message>
        <location filename="../../views/texts.py" line="228"/>
        <source>Jitter</source>
        <translation>Độ trễ biến thiên (jitter)</translation>
    </message>
    <message>
        <location filename="../../views/texts.py" line="229"/>
        <source>Round trip</source>
        <translation>Thời gian khứ hồi</translation>
    </message>
    <message>
        <location filename="../../views/texts.py" line="238"/>
        <source>Not a Vietnamese phone number, e.g. 0912 345 678 or 028 7300 1234.</source>
        <translation>Không phải số điện thoại Việt Nam, ví dụ 0912 345 678 hoặc 028 7300 1234.</translation>
    </message>
    <message>
        <location filename="../../views/texts.py" line="242"/>
        <source>Enter where calls go.</source>
        <translation>Nhập nơi cuộc gọi được chuyển tới.</translation>
    </message>
    <message>
        <location filename="../../views/texts.py" line="243"/>
        <source>An extension has 2 to 4 digits.</source>
        <translation>Số máy lẻ gồm 2 đến 4 chữ số.</translation>
    </message>
    <message>
        <location filename="../../views/texts.py" line="244"/>
        <source>No such extension in your company.</source>
        <translation>Công ty bạn không có số máy lẻ này.</translation>
    </message>
    <message>
        <location filename="../../views/texts.py" line="247"/>
        <source>That is your own extension.</source>
        <translation>Đây là số máy lẻ của chính bạn.</translation>
    </message>
    <message>
        <location filename="../../views/texts.py" line="248"/>
        <source>You may not call outside numbers: ask your administrator.</source>
        <translation>Bạn không được gọi ra số bên ngoài: hãy hỏi quản trị viên.</translation>
    </message>
    <message>
        <location filename="../../views/texts.py" line="251"/>
        <source>You have no voicemail box yet.</source>
        <translation>Bạn chưa có hộp thư thoại.</translation>
    </message>
    <message>
        <location filename="../../views/texts.py" line="254"/>
        <source>Between 5 and 120 seconds.</source>
        <translation>Từ 5 đến 120 giây.</translation>
    </message>
    <message>
        <location filename="../../views/texts.py" line="266"/>
        <source>Queue %1</source>
        <translation>Hàng đợi %1</translation>
    </message>
    <message>
        <location filename="../../views/texts.py" line="276"/>
        <source>Open hours</source>
        <translation>Giờ làm việc</translation>
    </message>
    <message>
        <location filename="../../views/texts.py" line="277"/>
        <source>After hours</source>
        <translation>Ngoài giờ</translation>
    </message>
    <message>
        <location filename="../../views/texts.py" line="278"/>
        <source>Holiday</source>
        <translation>Ngày nghỉ lễ</translation>
    </message>
    <message>
        <location filename="../../views/texts.py" line="279"/>
        <source>Schedule</source>
        <translation>Lịch làm việc</translation>
    </message>
    <message>
        <location filename="../../views/texts.py" line="281"/>
        <source>Menu %1</source>
        <translation>Menu %1</translation>
    </message>
    <message>
        <location filename="../../views/texts.py" line="285"/>
        <source>Ext. %1</source>
        <translation>Máy lẻ %1</translation>
    </message>
    <message>
        <location filename="../../views/texts.py" line="287"/>
        <source>Ring group %1</source>
        <translation>Nhóm đổ chuông %1</translation>
    </message>
    <message>
        <location filename="../../views/texts.py" line="289"/>
        <source>Voicemail</source>
        <translation>Hộp thư thoại</translation>
    </message>
    <message>
        <location filename="../../views/texts.py" line="306"/>
        <source>Queue: %1</source>
        <translation>Hàng đợi: %1</translation>
    </message>
    <message>
        <location filename="../../views/texts.py" line="308"/>
        <source>waited %1</source>
        <translation>đã chờ %1</translation>
    </message>
    <message>
        <location filename="../../views/texts.py" line="314"/>
        <source>Lunch</source>
        <translation>Ăn trưa</translation>
    </message>
    <message>
        <location filename="../../views/texts.py" line="315"/>
        <source>Training</source>
        <translation>Đào tạo</translation>
    </message>
    <message>
        <location filename="../../views/texts.py" line="316"/>
        <source>After-call work</source>
        <translation>Xử lý sau cuộc gọi</translation>
    </message>
    <message>
        <location filename="../../views/texts.py" line="317"/>
        <source>Other</source>
        <translation>Khác</translation>
    </message>
    <message>
        <location filename="../../views/texts.py" line="318"/>
        <source>Break</source>
        <translation>Nghỉ giải lao</translation>
    </message>
    <message>
        <location filename="../../views/texts.py" line="324"/>
        <source>Logged out</source>
        <translation>Đã rời</translation>
    </message>
    <message>
        <location filename="../../views/texts.py" line="325"/>
        <source>Paused</source>
        <translation>Tạm nghỉ</translation>
    </message>
    <message>
        <location filename="../../views/texts.py" line="326"/>
        <source>On a call</source>
        <translation>Đang gọi</translation>
    </message>
    <message>
        <location filename="../../views/texts.py" line="327"/>
        <source>Wrap-up</source>
        <translation>Hoàn tất cuộc gọi</translation>
    </message>
</context>
<context>
    <name>Tray</name>
    <message>
        <location filename="../../views/tray.py" line="69"/>
        <source>Softphone — %1</source>
        <translation>Softphone — %1</translation>
    </message>
    <message>
        <location filename="../../views/tray.py" line="72"/>
        <source>Show Softphone</source>
        <translation>Mở Softphone</translation>
    </message>
    <message>
        <location filename="../../views/tray.py" line="73"/>
        <source>Do not disturb</source>
        <translation>Không làm phiền</translation>
    </message>
    <message>
        <location filename="../../views/tray.py" line="74"/>
        <source>Status</source>
        <translation>Trạng thái</translation>
    </message>
    <message>
        <location filename="../../views/tray.py" line="77"/>
        <source>Quit</source>
        <translation>Thoát</translation>
    </message>
</context>
<context>
    <name>VoicemailView</name>
    <message>
        <location filename="../../views/voicemail_view.py" line="80"/>
        <source>Delete voicemail</source>
        <translation>Xóa tin nhắn thoại</translation>
    </message>
    <message>
        <location filename="../../views/voicemail_view.py" line="81"/>
        <source>Delete the message from %1? Everyone who shares this mailbox loses it too.</source>
        <translation>Xóa tin nhắn của %1? Mọi người dùng chung hộp thư này cũng sẽ mất tin nhắn.</translation>
    </message>
    <message>
        <location filename="../../views/voicemail_view.py" line="93"/>
        <source>Stop</source>
        <translation>Dừng</translation>
    </message>
    <message>
        <location filename="../../views/voicemail_view.py" line="93"/>
        <source>Play</source>
        <translation>Nghe</translation>
    </message>
    <message>
        <location filename="../../views/voicemail_view.py" line="122"/>
        <source>No voicemail.</source>
        <translation>Không có tin nhắn thoại.</translation>
    </message>
    <message numerus="yes">
        <location filename="../../views/voicemail_view.py" line="124"/>
        <source>New: %n</source>
        <translation>
            <numerusform>Mới: %n</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <location filename="../../views/voicemail_view.py" line="124"/>
        <source>In all: %n</source>
        <translation>
            <numerusform>Tổng cộng: %n</numerusform>
        </translation>
    </message>
    <message>
        <location filename="../../views/voicemail_view.py" line="130"/>
        <source>Voicemail</source>
        <translation>Hộp thư thoại</translation>
    </message>
    <message>
        <location filename="../../views/voicemail_view.py" line="131"/>
        <source>Mark as heard</source>
        <translation>Đánh dấu đã nghe</translation>
    </message>
    <message>
        <location filename="../../views/voicemail_view.py" line="132"/>
        <source>Delete</source>
        <translation>Xóa</translation>
    </message>
    <message>
        <location filename="../../views/voicemail_view.py" line="134"/>
        <source>From</source>
        <translation>Từ</translation>
    </message>
    <message>
        <location filename="../../views/voicemail_view.py" line="134"/>
        <source>Mailbox</source>
        <translation>Hộp thư</translation>
    </message>
    <message>
        <location filename="../../views/voicemail_view.py" line="134"/>
        <source>Time</source>
        <translation>Thời gian</translation>
    </message>
    <message>
        <location filename="../../views/voicemail_view.py" line="134"/>
        <source>Length</source>
        <translation>Độ dài</translation>
    </message>
</context>
</TS>
